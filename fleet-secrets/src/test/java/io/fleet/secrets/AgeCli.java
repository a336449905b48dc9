package io.fleet.secrets;

import io.fleet.api.SecretException;
import io.fleet.api.spi.SecretCipher;
import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link SecretCipher} that drives the real {@code age} CLI: an independent implementation to
 * check the library's output against. Identities go to age on standard input ({@code -i -}); only
 * ciphertext is written to a temporary file.
 */
public final class AgeCli implements SecretCipher {
  private final Path age;

  private AgeCli(Path age) {
    this.age = age;
  }

  /** The CLI; skips the test where {@code age} is missing (fails under CI). */
  public static AgeCli require() {
    return new AgeCli(ExternalTools.require("age"));
  }

  @Override
  public byte[] encrypt(byte[] plaintext, Collection<String> recipients) {
    List<String> argv = new ArrayList<>(List.of(age.toString()));
    for (String r : recipients) {
      argv.add("-r");
      argv.add(r);
    }
    return run(argv, plaintext);
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, Collection<String> identities) {
    Path file = null;
    try {
      file = Files.createTempFile("agecli-ciphertext", ".age");
      Files.write(file, ciphertext);
      String ids = String.join("\n", identities) + "\n";
      return run(
          List.of(age.toString(), "-d", "-i", "-", file.toString()),
          ids.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // only ciphertext
        }
      }
    }
  }

  static byte[] run(List<String> argv, byte[] stdin) {
    try {
      Process p = new ProcessBuilder(argv).start();
      CompletableFuture<byte[]> out =
          CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      CompletableFuture<byte[]> err =
          CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      }
      int rc = p.waitFor();
      if (rc != 0) {
        throw new SecretException(
            "age failed (" + rc + "): " + new String(err.join(), StandardCharsets.UTF_8).strip());
      }
      return out.join();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readAll(InputStream in) {
    try {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
