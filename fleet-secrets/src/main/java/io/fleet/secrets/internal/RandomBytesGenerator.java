package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.security.SecureRandom;

/**
 * {@value Generators#RANDOM_BYTES}: {@code length} random bytes as the private part {@code secret}.
 */
public final class RandomBytesGenerator implements SecretGenerator {
  static final int MAX_LENGTH = 1 << 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** For {@code ServiceLoader}. */
  public RandomBytesGenerator() {}

  @Override
  public String kind() {
    return Generators.RANDOM_BYTES;
  }

  @Override
  public StoredSecret generate(Request request) {
    long length = request.generator().number("length", 32);
    if (length < 1 || length > MAX_LENGTH) {
      throw GeneratedSecret.invalid(
          request, "length " + length + " is out of range: use 1 to " + MAX_LENGTH);
    }
    byte[] bytes = new byte[(int) length];
    RANDOM.nextBytes(bytes);
    return new GeneratedSecret(request).privatePart("secret", bytes).build();
  }
}
