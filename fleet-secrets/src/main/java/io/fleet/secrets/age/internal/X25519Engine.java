package io.fleet.secrets.age.internal;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Locale;
import javax.crypto.KeyAgreement;

/**
 * X25519 scalar multiplication (RFC 7748), behind one small interface so the implementation can be
 * chosen by measurement. The default is BouncyCastle's {@code rfc7748.X25519}, measured fastest
 * here (see {@code AgeBenchmark}); {@code -Dfleet.age.x25519=tink|jdk|bouncycastle} overrides it.
 */
public interface X25519Engine {
  /** Size of scalars and points. */
  int SIZE = 32;

  /** The implementation's name, for benchmark reports. */
  String name();

  /** {@code scalar · basepoint} (the scalar is clamped). */
  byte[] publicKey(byte[] scalar);

  /**
   * {@code scalar · u} (the scalar is clamped, the top bit of {@code u} masked), or {@code null} if
   * the result is the all-zero value (a low-order point), which age rejects.
   */
  byte[] agree(byte[] scalar, byte[] u);

  /** The engine in use. */
  static X25519Engine get() {
    return Holder.DEFAULT;
  }

  /** An engine by name: {@code bouncycastle}, {@code tink} or {@code jdk}. */
  static X25519Engine named(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "tink":
        return new Tink();
      case "jdk":
        return new Jdk();
      case "bouncycastle":
      case "bc":
        return new BouncyCastle();
      default:
        throw new IllegalArgumentException("unknown X25519 engine " + name);
    }
  }

  /** Lazily chosen default. */
  final class Holder {
    static final X25519Engine DEFAULT =
        named(System.getProperty("fleet.age.x25519", "bouncycastle"));

    private Holder() {}
  }

  private static boolean allZero(byte[] b) {
    int acc = 0;
    for (byte x : b) {
      acc |= x;
    }
    return acc == 0;
  }

  /** BouncyCastle's constant-time field arithmetic. */
  final class BouncyCastle implements X25519Engine {
    static {
      org.bouncycastle.math.ec.rfc7748.X25519.precompute();
    }

    @Override
    public String name() {
      return "bouncycastle";
    }

    @Override
    public byte[] publicKey(byte[] scalar) {
      byte[] r = new byte[SIZE];
      org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(scalar, 0, r, 0);
      return r;
    }

    @Override
    public byte[] agree(byte[] scalar, byte[] u) {
      byte[] r = new byte[SIZE];
      return org.bouncycastle.math.ec.rfc7748.X25519.calculateAgreement(scalar, 0, u, 0, r, 0)
          ? r
          : null;
    }
  }

  /** Tink's {@code subtle.X25519}. */
  final class Tink implements X25519Engine {
    @Override
    public String name() {
      return "tink";
    }

    @Override
    public byte[] publicKey(byte[] scalar) {
      try {
        return com.google.crypto.tink.subtle.X25519.publicFromPrivate(scalar);
      } catch (java.security.InvalidKeyException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public byte[] agree(byte[] scalar, byte[] u) {
      byte[] masked = u.clone();
      masked[31] &= 0x7f;
      try {
        byte[] r = com.google.crypto.tink.subtle.X25519.computeSharedSecret(scalar, masked);
        return allZero(r) ? null : r;
      } catch (java.security.InvalidKeyException e) {
        // Tink refuses low-order points outright; age calls that the all-zero case.
        return null;
      }
    }
  }

  /** The JDK's XDH provider. */
  final class Jdk implements X25519Engine {
    private static final byte[] BASE = new byte[SIZE];

    static {
      BASE[0] = 9;
    }

    @Override
    public String name() {
      return "jdk";
    }

    @Override
    public byte[] publicKey(byte[] scalar) {
      byte[] r = agree(scalar, BASE);
      if (r == null) {
        throw new IllegalStateException("X25519 base point multiplication gave zero");
      }
      return r;
    }

    @Override
    public byte[] agree(byte[] scalar, byte[] u) {
      try {
        KeyFactory kf = KeyFactory.getInstance("XDH");
        PrivateKey priv =
            kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
        byte[] be = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
          be[i] = u[SIZE - 1 - i];
        }
        be[0] &= 0x7f;
        PublicKey pub =
            kf.generatePublic(
                new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, be)));
        KeyAgreement ka = KeyAgreement.getInstance("XDH");
        ka.init(priv);
        ka.doPhase(pub, true);
        byte[] r = ka.generateSecret();
        return allZero(r) ? null : r;
      } catch (GeneralSecurityException e) {
        // The JDK throws for a small-order result.
        return null;
      }
    }
  }
}
