package io.fleet.transport.internal;

import com.hierynomus.sshj.transport.cipher.GcmCipher;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.List;
import net.schmizz.sshj.common.Factory;
import net.schmizz.sshj.common.SSHRuntimeException;
import net.schmizz.sshj.transport.cipher.BlockCipher;
import net.schmizz.sshj.transport.cipher.Cipher;

/**
 * sshj's AES-GCM and AES-CTR ciphers, computed by the JDK's own provider. sshj asks for its ciphers
 * through its {@code SecurityUtils}, which prefers BouncyCastle whenever it is on the class path
 * (sshj depends on it): BouncyCastle's AES is plain Java, about 3× slower here than
 * chacha20-poly1305, while the JDK's SunJCE runs AES and GHASH on the processor's AES-NI and CLMUL
 * instructions. Everything else (key sizes, IVs, the GCM counter per packet) stays sshj's.
 */
final class JdkCiphers {
  private static final String PROVIDER = "SunJCE";

  private JdkCiphers() {}

  /** The JDK-backed factories, by SSH name. */
  static List<Factory.Named<Cipher>> factories() {
    return List.of(
        factory("aes128-gcm@openssh.com", () -> new Gcm(16)),
        factory("aes256-gcm@openssh.com", () -> new Gcm(32)),
        factory("aes128-ctr", () -> new Ctr(16)),
        factory("aes192-ctr", () -> new Ctr(24)),
        factory("aes256-ctr", () -> new Ctr(32)));
  }

  private static Factory.Named<Cipher> factory(String name, Factory<Cipher> create) {
    return new Factory.Named<>() {
      @Override
      public Cipher create() {
        return create.create();
      }

      @Override
      public String getName() {
        return name;
      }
    };
  }

  private static javax.crypto.Cipher jdk(String transformation) {
    try {
      return javax.crypto.Cipher.getInstance(transformation, PROVIDER);
    } catch (GeneralSecurityException e) {
      throw new SSHRuntimeException(e);
    }
  }

  /** AES-GCM as in RFC 5647 / OpenSSH, on SunJCE. */
  private static final class Gcm extends GcmCipher {
    private final int keyBytes;

    Gcm(int keyBytes) {
      super(12, 16, keyBytes, "AES", "AES/GCM/NoPadding");
      this.keyBytes = keyBytes;
    }

    @Override
    public void init(Mode mode, byte[] key, byte[] iv) {
      super.init(mode, key, iv);
      cipher = jdk("AES/GCM/NoPadding");
      try {
        initCipher(cipher, mode, Arrays.copyOf(key, keyBytes), Arrays.copyOf(iv, 12));
      } catch (GeneralSecurityException e) {
        throw new SSHRuntimeException(e);
      }
    }
  }

  /** AES-CTR, on SunJCE. */
  private static final class Ctr extends BlockCipher {
    private final int keyBytes;

    Ctr(int keyBytes) {
      super(16, keyBytes, "AES", "AES/CTR/NoPadding");
      this.keyBytes = keyBytes;
    }

    @Override
    public void init(Mode mode, byte[] key, byte[] iv) {
      super.init(mode, key, iv);
      cipher = jdk("AES/CTR/NoPadding");
      try {
        initCipher(cipher, mode, Arrays.copyOf(key, keyBytes), Arrays.copyOf(iv, 16));
      } catch (GeneralSecurityException e) {
        throw new SSHRuntimeException(e);
      }
    }
  }
}
