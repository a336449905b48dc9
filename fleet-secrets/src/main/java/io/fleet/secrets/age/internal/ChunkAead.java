package io.fleet.secrets.age.internal;

import java.security.GeneralSecurityException;
import java.util.Locale;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * ChaCha20-Poly1305 (RFC 8439) for one key and many nonces, as the STREAM payload and the stanza
 * bodies use it. Not thread-safe: one instance per stream. Decryption verifies the tag before
 * writing any plaintext.
 */
public interface ChunkAead {
  /** Tag length. */
  int TAG = 16;

  /** Seals {@code len} bytes into {@code out}; returns the bytes written ({@code len + 16}). */
  int seal(byte[] nonce, byte[] in, int off, int len, byte[] out, int outOff);

  /**
   * Opens {@code len} bytes into {@code out}; returns the plaintext length, or -1 if the tag does
   * not verify (nothing is written to {@code out} then).
   */
  int open(byte[] nonce, byte[] in, int off, int len, byte[] out, int outOff);

  /** A new instance for {@code key} with the implementation in use. */
  static ChunkAead create(byte[] key) {
    return create(key, System.getProperty("fleet.age.chacha", "jdk"));
  }

  /** A new instance for {@code key} with the named implementation: {@code jdk} or {@code bc}. */
  static ChunkAead create(byte[] key, String impl) {
    switch (impl.toLowerCase(Locale.ROOT)) {
      case "jdk":
        return new Jdk(key);
      case "bc":
      case "bouncycastle":
        return new BouncyCastle(key);
      default:
        throw new IllegalArgumentException("unknown ChaCha20-Poly1305 implementation " + impl);
    }
  }

  /** The JDK's {@code ChaCha20-Poly1305} cipher. */
  final class Jdk implements ChunkAead {
    private final SecretKeySpec key;
    private final Cipher cipher;

    Jdk(byte[] key) {
      this.key = new SecretKeySpec(key, "ChaCha20");
      try {
        this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("this JDK has no ChaCha20-Poly1305", e);
      }
    }

    @Override
    public int seal(byte[] nonce, byte[] in, int off, int len, byte[] out, int outOff) {
      try {
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(nonce));
        return cipher.doFinal(in, off, len, out, outOff);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
      }
    }

    @Override
    public int open(byte[] nonce, byte[] in, int off, int len, byte[] out, int outOff) {
      if (len < TAG) {
        return -1;
      }
      try {
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(nonce));
        return cipher.doFinal(in, off, len, out, outOff);
      } catch (AEADBadTagException e) {
        return -1;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
      }
    }
  }

  /** BouncyCastle's lightweight {@code ChaCha20Poly1305}. */
  final class BouncyCastle implements ChunkAead {
    private final KeyParameter key;
    private final ChaCha20Poly1305 cipher = new ChaCha20Poly1305();
    private byte[] scratch = new byte[0];

    BouncyCastle(byte[] key) {
      this.key = new KeyParameter(key.clone());
    }

    @Override
    public int seal(byte[] nonce, byte[] in, int off, int len, byte[] out, int outOff) {
      cipher.init(true, new AEADParameters(key, 128, nonce));
      int n = cipher.processBytes(in, off, len, out, outOff);
      try {
        return n + cipher.doFinal(out, outOff + n);
      } catch (InvalidCipherTextException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public int open(byte[] nonce, byte[] in, int off, int len, byte[] out, int outOff) {
      if (len < TAG) {
        return -1;
      }
      // BouncyCastle streams plaintext out before the tag is checked: decrypt into a scratch
      // buffer and copy only after doFinal verified the tag.
      if (scratch.length < len) {
        scratch = new byte[len];
      }
      cipher.init(false, new AEADParameters(key, 128, nonce));
      int n = cipher.processBytes(in, off, len, scratch, 0);
      try {
        n += cipher.doFinal(scratch, n);
      } catch (InvalidCipherTextException e) {
        java.util.Arrays.fill(scratch, (byte) 0);
        return -1;
      }
      System.arraycopy(scratch, 0, out, outOff, n);
      return n;
    }
  }
}
