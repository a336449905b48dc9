package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * {@value Generators#WIREGUARD}: a WireGuard key pair as {@code wg genkey | wg pubkey} makes it:
 * {@code secret} is the base64 clamped X25519 private key, {@code public} the base64 public key.
 */
public final class WireguardGenerator implements SecretGenerator {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** For {@code ServiceLoader}. */
  public WireguardGenerator() {}

  @Override
  public String kind() {
    return Generators.WIREGUARD;
  }

  @Override
  public StoredSecret generate(Request request) {
    byte[] priv = new byte[X25519.SCALAR_SIZE];
    RANDOM.nextBytes(priv);
    // Clamp as RFC 7748 and wg genkey do.
    priv[0] &= (byte) 248;
    priv[31] &= (byte) 127;
    priv[31] |= (byte) 64;
    byte[] pub = new byte[X25519.POINT_SIZE];
    X25519.scalarMultBase(priv, 0, pub, 0);
    byte[] privText = Base64.getEncoder().encode(priv);
    Arrays.fill(priv, (byte) 0);
    return new GeneratedSecret(request)
        .privatePart("secret", privText)
        .publicPart(
            "public", new String(Base64.getEncoder().encode(pub), StandardCharsets.US_ASCII))
        .build();
  }
}
