package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;

/**
 * {@value Generators#RSA}: an RSA key pair of {@code bits} bits (default 4096); {@code secret} is
 * the PKCS#8 PEM private key, {@code public} the SubjectPublicKeyInfo PEM public key.
 */
public final class RsaGenerator implements SecretGenerator {
  /** For {@code ServiceLoader}. */
  public RsaGenerator() {}

  @Override
  public String kind() {
    return Generators.RSA;
  }

  @Override
  public StoredSecret generate(Request request) {
    long bits = request.generator().number("bits", 4096);
    if (bits < 2048 || bits > 16384 || bits % 8 != 0) {
      throw GeneratedSecret.invalid(
          request, bits + " bits is not allowed: use a multiple of 8 from 2048 to 16384");
    }
    KeyPair pair;
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
      gen.initialize((int) bits);
      pair = gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw GeneratedSecret.invalid(request, "the JDK cannot generate RSA keys: " + e);
    }
    byte[] der = pair.getPrivate().getEncoded();
    byte[] pem = Pem.encode("PRIVATE KEY", der).getBytes(StandardCharsets.US_ASCII);
    Arrays.fill(der, (byte) 0);
    return new GeneratedSecret(request)
        .privatePart("secret", pem)
        .publicPart("public", Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded()))
        .build();
  }
}
