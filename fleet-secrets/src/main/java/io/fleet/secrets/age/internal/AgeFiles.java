package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Writes and reads whole age files: header, payload nonce, STREAM payload, optional armor. */
public final class AgeFiles {
  private static final int NONCE = 16;
  private static final int MAX_LEADING_SPACE = 8192;

  private AgeFiles() {}

  /**
   * Writes the header and nonce to {@code out} and returns the stream to write the plaintext to;
   * closing it finishes the file and closes {@code out}.
   */
  public static OutputStream encrypt(OutputStream out, List<Recipient> recipients, boolean armor)
      throws IOException {
    byte[] fileKey = Wrapping.random(Wrapping.FILE_KEY_SIZE);
    List<Stanza> stanzas = new ArrayList<>(recipients.size());
    for (Recipient r : recipients) {
      stanzas.add(r.wrap(fileKey));
    }
    OutputStream target = armor ? new Armor.Writer(out) : out;
    target.write(Header.write(stanzas, fileKey));
    byte[] nonce = Wrapping.random(NONCE);
    target.write(nonce);
    byte[] payloadKey = Hkdf.sha256(fileKey, nonce, "payload", 32);
    java.util.Arrays.fill(fileKey, (byte) 0);
    return new PayloadWriter(target, payloadKey);
  }

  /**
   * Reads the header from {@code in} (binary or armored), finds the file key with {@code
   * identities}, verifies the header MAC and returns the stream of plaintext.
   */
  public static InputStream decrypt(InputStream in, List<Identity> identities) throws IOException {
    BufferedInputStream b = new BufferedInputStream(in, 1 << 17);
    InputStream src = b;
    if (isArmored(b)) {
      src = new BufferedInputStream(new Armor.Reader(b), 1 << 17);
    }
    Header header = Header.read(src);
    boolean scrypt = false;
    Set<String> types = new LinkedHashSet<>();
    for (Stanza s : header.stanzas) {
      types.add(s.type);
      scrypt |= s.type.equals("scrypt");
    }
    if (scrypt && header.stanzas.size() > 1) {
      throw Header.failure("an scrypt stanza must be the only stanza of a file");
    }
    byte[] fileKey = null;
    search:
    for (Identity id : identities) {
      for (Stanza s : header.stanzas) {
        fileKey = id.unwrap(s);
        if (fileKey != null) {
          break search;
        }
      }
    }
    if (fileKey == null) {
      boolean withPassphrase =
          identities.stream().anyMatch(i -> i instanceof ScryptKeys.ScryptIdentity);
      if (scrypt && withPassphrase) {
        throw new AgeException(
            Kind.NO_MATCH,
            "the passphrase is wrong: it does not decrypt this passphrase-encrypted (scrypt) age"
                + " file");
      }
      String hint =
          scrypt
              ? "; it is encrypted with a passphrase (scrypt): decrypt it with its passphrase"
                  + " (Age.decryptWithPassphrase)"
              : "";
      throw new AgeException(
          Kind.NO_MATCH,
          "none of the "
              + identities.size()
              + " identities can decrypt this age file (its "
              + header.stanzas.size()
              + " recipient stanzas are of types "
              + types
              + ")"
              + hint
              + ": use a key of one of the file's recipients");
    }
    if (!header.verify(fileKey)) {
      throw new AgeException(
          Kind.HMAC_FAILURE,
          "age header MAC does not verify: the header was altered or the file is damaged");
    }
    byte[] nonce = src.readNBytes(NONCE);
    if (nonce.length != NONCE) {
      throw Header.failure("the payload nonce is missing or truncated");
    }
    byte[] payloadKey = Hkdf.sha256(fileKey, nonce, "payload", 32);
    java.util.Arrays.fill(fileKey, (byte) 0);
    return new PayloadReader(src, payloadKey);
  }

  private static boolean isArmored(BufferedInputStream b) throws IOException {
    b.mark(MAX_LEADING_SPACE + 8);
    try {
      int c = b.read();
      int n = 0;
      while (c >= 0 && Armor.isSpace(c) && n < MAX_LEADING_SPACE) {
        c = b.read();
        n++;
      }
      for (int i = 0; i < 5; i++) {
        if (c != '-') {
          return false;
        }
        c = b.read();
      }
      return true;
    } finally {
      b.reset();
    }
  }
}
