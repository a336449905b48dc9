package io.fleet.secrets.internal;

import io.fleet.api.SecretException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Reads which {@code ssh-ed25519} keys an age file is encrypted to, from the tags in its header
 * ({@code -> ssh-ed25519 <tag> <share>}, the tag being the first four bytes of the SHA-256 of the
 * key's SSH wire encoding), without decrypting anything.
 */
public final class AgeStanzas {
  private static final byte[] MAGIC = "age-encryption.org/v1\n".getBytes(StandardCharsets.US_ASCII);

  private AgeStanzas() {}

  /**
   * The tags of the {@code ssh-ed25519} stanzas of {@code ageFile}; empty if it is not a binary age
   * file (then nothing can be said about its recipients).
   */
  public static Optional<Set<String>> sshTags(byte[] ageFile) {
    if (!isBinaryAgeFile(ageFile)) {
      return Optional.empty();
    }
    Set<String> tags = new HashSet<>();
    int pos = MAGIC.length;
    while (pos < ageFile.length) {
      int end = pos;
      while (end < ageFile.length && ageFile[end] != '\n') {
        end++;
      }
      if (startsWith(ageFile, pos, "---")) {
        return Optional.of(tags);
      }
      if (startsWith(ageFile, pos, "-> ssh-ed25519 ")) {
        int t = pos + "-> ssh-ed25519 ".length();
        int te = t;
        while (te < end && ageFile[te] != ' ') {
          te++;
        }
        tags.add(new String(ageFile, t, te - t, StandardCharsets.US_ASCII));
      }
      pos = end + 1;
    }
    return Optional.empty();
  }

  /**
   * Whether {@code content} starts with the binary age header line {@code age-encryption.org/v1}.
   */
  static boolean isBinaryAgeFile(byte[] content) {
    if (content.length < MAGIC.length) {
      return false;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (content[i] != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean startsWith(byte[] a, int pos, String prefix) {
    if (pos + prefix.length() > a.length) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (a[pos + i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The age stanza tag of an {@code ssh-ed25519 AAAA…} key line; empty for other key types (an
   * {@code age1…} recipient's stanza carries no tag).
   *
   * @throws SecretException if the line is an {@code ssh-ed25519} key with invalid base64
   */
  public static Optional<String> tagOf(String keyLine) {
    String[] f = keyLine.trim().split("\\s+");
    if (f.length < 2 || !f[0].equals("ssh-ed25519")) {
      return Optional.empty();
    }
    byte[] wire;
    try {
      wire = Base64.getDecoder().decode(f[1]);
    } catch (IllegalArgumentException e) {
      throw new SecretException("host key " + f[0] + " " + f[1] + " has invalid base64");
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(wire);
      byte[] tag = new byte[4];
      System.arraycopy(h, 0, tag, 0, 4);
      return Optional.of(Base64.getEncoder().withoutPadding().encodeToString(tag));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
