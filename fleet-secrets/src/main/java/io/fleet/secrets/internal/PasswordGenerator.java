package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * {@value Generators#PASSWORD}: {@code length} characters drawn uniformly from {@code alphabet}
 * (code points), as the private part {@code secret}.
 */
public final class PasswordGenerator implements SecretGenerator {
  static final int MAX_LENGTH = 65536;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** For {@code ServiceLoader}. */
  public PasswordGenerator() {}

  @Override
  public String kind() {
    return Generators.PASSWORD;
  }

  @Override
  public StoredSecret generate(Request request) {
    long length = request.generator().number("length", 32);
    String alphabet =
        request
            .generator()
            .text("alphabet")
            .orElse("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    if (length < 1 || length > MAX_LENGTH) {
      throw GeneratedSecret.invalid(
          request, "length " + length + " is out of range: use 1 to " + MAX_LENGTH);
    }
    int[] symbols = alphabet.codePoints().distinct().toArray();
    if (symbols.length < 2) {
      throw GeneratedSecret.invalid(request, "the alphabet needs at least two distinct characters");
    }
    StringBuilder sb = new StringBuilder((int) length);
    for (int i = 0; i < length; i++) {
      sb.appendCodePoint(symbols[RANDOM.nextInt(symbols.length)]);
    }
    ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(sb));
    byte[] exact = new byte[encoded.remaining()];
    encoded.get(exact);
    Arrays.fill(encoded.array(), (byte) 0);
    sb.setLength(0);
    return new GeneratedSecret(request).privatePart("secret", exact).build();
  }
}
