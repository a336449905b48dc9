package io.fleet.api.spi;

import java.util.Collection;

/**
 * Encrypts secret bytes to recipients and decrypts them with identities. The library's
 * implementation is age ({@code io.fleet.secrets.age}); find it with {@link #discover()}.
 *
 * <p>Recipients are {@code age1…} keys or OpenSSH {@code ssh-ed25519 AAAA…} public key lines;
 * identities are {@code AGE-SECRET-KEY-1…} keys, age identity files, or unencrypted OpenSSH ed25519
 * private keys. Errors are {@link io.fleet.api.SecretException}s that never contain plaintext.
 */
public interface SecretCipher {
  /**
   * Encrypts {@code plaintext} so that any one of {@code recipients} can decrypt it. The result is
   * a binary age v1 file (not armored) that the {@code age} CLI opens with a matching identity.
   * Implementations must not keep or log the plaintext.
   *
   * @throws io.fleet.api.SecretException if there are no recipients or one is malformed (the
   *     message names the recipient, never the plaintext)
   */
  byte[] encrypt(byte[] plaintext, Collection<String> recipients);

  /**
   * Decrypts {@code ciphertext} with the first of {@code identities} that matches.
   *
   * @throws io.fleet.api.SecretException if none matches or the file is damaged
   */
  byte[] decrypt(byte[] ciphertext, Collection<String> identities);

  /** The implementation registered with {@code ServiceLoader} ({@code fleet-secrets}). */
  static SecretCipher discover() {
    return Services.discover(SecretCipher.class, "add fleet-secrets to the classpath");
  }
}
