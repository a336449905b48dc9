package io.fleet.secrets.age.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * Passphrase-encrypted files: the {@code scrypt} stanza, which must be the only stanza of a file.
 */
final class ScryptKeys {
  static final String TYPE = "scrypt";
  private static final byte[] LABEL = Wrapping.ascii("age-encryption.org/v1/scrypt");

  /** The work factor {@code age} uses when encrypting. */
  static final int DEFAULT_LOG_N = 18;

  /** The highest work factor accepted when decrypting (as {@code age}): 2^22 needs 4 GiB. */
  static final int MAX_LOG_N = 22;

  private ScryptKeys() {}

  private static byte[] wrappingKey(byte[] passphrase, byte[] salt, int logN) {
    byte[] s = Wrapping.concat(LABEL, salt);
    return SCrypt.generate(passphrase, s, 1 << logN, 8, 1, 32);
  }

  /** Encrypts to a passphrase. */
  static final class ScryptRecipient implements Recipient {
    private final byte[] passphrase;
    private final int logN;

    ScryptRecipient(String passphrase, int logN) {
      this.passphrase = passphrase.getBytes(StandardCharsets.UTF_8);
      this.logN = logN;
    }

    @Override
    public Stanza wrap(byte[] fileKey) {
      byte[] salt = Wrapping.random(16);
      byte[] body = Wrapping.sealWithKey(wrappingKey(passphrase, salt, logN), fileKey);
      return new Stanza(TYPE, List.of(Base64s.encodeRaw(salt), Integer.toString(logN)), body);
    }

    @Override
    public String encoded() {
      return "(passphrase)";
    }
  }

  /** Decrypts with a passphrase. */
  static final class ScryptIdentity implements Identity {
    private final byte[] passphrase;

    ScryptIdentity(String passphrase) {
      this.passphrase = passphrase.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] unwrap(Stanza stanza) {
      if (!stanza.type.equals(TYPE)) {
        return null;
      }
      if (stanza.args.size() != 2) {
        throw Header.failure("scrypt stanza must have exactly two arguments");
      }
      byte[] salt = Base64s.decodeRawStrict(stanza.args.get(0));
      if (salt == null || salt.length != 16) {
        throw Header.failure("scrypt stanza salt is not a canonical 16-byte base64 value");
      }
      String w = stanza.args.get(1);
      if (!w.matches("[1-9][0-9]?")) {
        throw Header.failure("scrypt work factor is not a decimal number from 1 to 99");
      }
      int logN = Integer.parseInt(w);
      if (logN > MAX_LOG_N) {
        throw Header.failure(
            "scrypt work factor 2^"
                + logN
                + " is above 2^"
                + MAX_LOG_N
                + " and would take too long");
      }
      if (stanza.body.length != Wrapping.FILE_KEY_SIZE + ChunkAead.TAG) {
        throw Header.failure("scrypt stanza body has the wrong size (file keys are 16 bytes)");
      }
      return Wrapping.openWithKey(wrappingKey(passphrase, salt, logN), stanza.body);
    }

    @Override
    public String recipient() {
      return "(passphrase)";
    }

    @Override
    public String toString() {
      return "ScryptIdentity{passphrase}";
    }
  }
}
