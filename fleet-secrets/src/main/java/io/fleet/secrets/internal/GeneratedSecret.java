package io.fleet.secrets.internal;

import io.fleet.api.SecretException;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * Assembles a generator's result: private parts are encrypted to the request's recipients at once
 * (and the plaintext array wiped), public parts are kept as plaintext.
 */
final class GeneratedSecret {
  private final SecretGenerator.Request request;
  private final StoredSecret.Builder builder = StoredSecret.builder();

  GeneratedSecret(SecretGenerator.Request request) {
    this.request = request;
    if (request.recipients().isEmpty()) {
      throw new SecretException(
          request.secretName(),
          "secret "
              + request.secretName()
              + " has no recipients to encrypt its private parts to: give its owners host keys",
          null);
    }
    builder.createdAt(request.now());
  }

  /** Encrypts {@code plaintext} to the owners and wipes the array. */
  GeneratedSecret privatePart(String name, byte[] plaintext) {
    try {
      builder.putParts(
          name, SecretPart.encrypted(request.cipher().encrypt(plaintext, request.recipients())));
    } finally {
      Arrays.fill(plaintext, (byte) 0);
    }
    return this;
  }

  GeneratedSecret privatePart(String name, String plaintext) {
    return privatePart(name, plaintext.getBytes(StandardCharsets.UTF_8));
  }

  GeneratedSecret publicPart(String name, String text) {
    builder.putParts(name, SecretPart.plaintext(text));
    return this;
  }

  GeneratedSecret expiresAt(Instant expiresAt) {
    builder.expiresAt(expiresAt);
    return this;
  }

  StoredSecret build() {
    return builder.build();
  }

  static SecretException invalid(SecretGenerator.Request request, String problem) {
    return new SecretException(
        request.secretName(),
        "secret "
            + request.secretName()
            + " ("
            + request.generator().kind()
            + " generator): "
            + problem,
        null);
  }
}
