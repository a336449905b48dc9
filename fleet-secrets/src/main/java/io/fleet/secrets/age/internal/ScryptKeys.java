package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
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

  /**
   * The highest work factor accepted when decrypting, as {@code age} ({@code scrypt work factor too
   * large} above it). Also refused: a factor whose memory ({@link #memoryBytes}) is more than a
   * quarter of this JVM's heap, so a crafted stanza gives an {@link AgeException}, never an {@code
   * OutOfMemoryError}: 2^22 needs 4 GiB.
   */
  static final int MAX_LOG_N = 22;

  /** The memory scrypt needs with age's parameters (r = 8): 128 * r * 2^logN bytes. */
  static long memoryBytes(int logN) {
    return 1024L << logN;
  }

  /** The memory the JVM can spare for one scrypt: a quarter of the largest heap it may have. */
  static long memoryBudget() {
    return Runtime.getRuntime().maxMemory() / 4;
  }

  private ScryptKeys() {}

  private static byte[] wrappingKey(byte[] passphrase, byte[] salt, int logN) {
    byte[] s = Wrapping.concat(LABEL, salt);
    try {
      return SCrypt.generate(passphrase, s, 1 << logN, 8, 1, 32);
    } catch (OutOfMemoryError e) {
      // Checked against the budget first; this is for a heap that other work filled meanwhile.
      throw tooMuchMemory(logN);
    }
  }

  private static AgeException tooMuchMemory(int logN) {
    return Header.failure(
        "scrypt work factor 2^"
            + logN
            + " needs "
            + (memoryBytes(logN) >> 20)
            + " MiB of memory, more than this JVM can spare ("
            + (memoryBudget() >> 20)
            + " MiB, a quarter of its largest heap); decrypt it with a larger -Xmx, or re-encrypt"
            + " it with age -p (work factor 2^"
            + DEFAULT_LOG_N
            + ")");
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
            "scrypt work factor too large: 2^"
                + logN
                + " is above 2^"
                + MAX_LOG_N
                + ", the most age accepts (age -p writes 2^"
                + DEFAULT_LOG_N
                + "); the file was not made by age, or was altered");
      }
      if (memoryBytes(logN) > memoryBudget()) {
        throw tooMuchMemory(logN);
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
