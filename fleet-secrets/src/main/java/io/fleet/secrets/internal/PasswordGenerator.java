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
    String problem = Generators.passwordProblem(length, alphabet);
    if (problem != null) {
      throw GeneratedSecret.invalid(request, problem);
    }
    int[] symbols = alphabet.codePoints().distinct().toArray();
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
