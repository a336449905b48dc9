package io.fleet.secrets.age;

import io.fleet.api.spi.SecretCipher;
import java.util.ArrayList;
import java.util.Collection;

/**
 * The {@link SecretCipher} that {@link SecretCipher#discover()} finds: binary age files, as {@link
 * Age} writes and reads them.
 */
public final class AgeSecretCipher implements SecretCipher {
  /** For {@link java.util.ServiceLoader}. */
  public AgeSecretCipher() {}

  @Override
  public byte[] encrypt(byte[] plaintext, Collection<String> recipients) {
    return Age.encrypt(plaintext, recipients == null ? null : new ArrayList<>(recipients));
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, Collection<String> identities) {
    return Age.decrypt(ciphertext, identities == null ? null : new ArrayList<>(identities));
  }

  @Override
  public String toString() {
    return "AgeSecretCipher";
  }
}
