package io.fleet.secrets.age.internal;

import io.fleet.secrets.age.AgeException;
import io.fleet.secrets.age.AgeException.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/** Parses the recipient and identity strings the public API accepts. */
public final class Keys {
  // Parsed recipients (public data only), so re-encrypting many secrets to the same hosts does
  // not repeat the key conversion and the per-recipient precomputation.
  private static final int CACHE_SIZE = 4096;
  private static final Map<String, Recipient> CACHE = new ConcurrentHashMap<>();

  // Parsed identities by the text they were parsed from, held weakly: an entry lives only while
  // the caller still holds that text (an operator identity decrypting 1,000 secrets is parsed
  // once, not 1,000 times: each parse hashes the seed and converts the key), so the cache keeps
  // no key material alive beyond its caller.
  private static final Map<String, List<Identity>> IDENTITIES =
      Collections.synchronizedMap(new WeakHashMap<>());

  private Keys() {}

  /** Parses recipients: {@code age1…} keys or {@code ssh-ed25519 AAAA… [comment]} lines. */
  public static List<Recipient> recipients(Collection<String> recipients) {
    if (recipients == null || recipients.isEmpty()) {
      throw new AgeException(
          Kind.INVALID_KEY, "no recipients given: an age file needs at least one recipient");
    }
    List<Recipient> out = new ArrayList<>(recipients.size());
    int i = 0;
    for (String r : recipients) {
      i++;
      if (r == null) {
        throw new AgeException(Kind.INVALID_KEY, "recipient #" + i + " is null");
      }
      String s = r.trim();
      Recipient cached = CACHE.get(s);
      if (cached != null) {
        out.add(cached);
      } else if (s.startsWith("age1") || s.startsWith("ssh-")) {
        Recipient parsed =
            s.startsWith("age1") ? X25519Keys.parseRecipient(s) : SshKeys.parseRecipient(s);
        if (CACHE.size() >= CACHE_SIZE) {
          CACHE.clear();
        }
        CACHE.put(s, parsed);
        out.add(parsed);
      } else if (s.startsWith("AGE-SECRET-KEY-")) {
        throw new AgeException(
            Kind.INVALID_KEY,
            "recipient #"
                + i
                + " is an age secret key, not a recipient: pass its age1… public key");
      } else {
        String shown = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        throw new AgeException(
            Kind.INVALID_KEY,
            "recipient #"
                + i
                + " ('"
                + shown
                + "') is neither an age1… key nor an ssh-ed25519 public key line");
      }
    }
    return out;
  }

  /**
   * Parses identities: each an {@code AGE-SECRET-KEY-1…} key, the text of an age identity file
   * ({@code #} comments, several keys), or the text of an unencrypted OpenSSH ed25519 private key.
   */
  public static List<Identity> identities(Collection<String> identities) {
    if (identities == null || identities.isEmpty()) {
      throw new AgeException(Kind.INVALID_KEY, "no identities given to decrypt with");
    }
    List<Identity> out = new ArrayList<>();
    int i = 0;
    for (String text : identities) {
      i++;
      String where = "identity #" + i;
      if (text == null) {
        throw new AgeException(Kind.INVALID_KEY, where + " is null");
      }
      List<Identity> cached = IDENTITIES.get(text);
      if (cached != null) {
        out.addAll(cached);
        continue;
      }
      List<Identity> parsed = parseIdentities(text, where);
      IDENTITIES.put(text, parsed);
      out.addAll(parsed);
    }
    return out;
  }

  /** The identities in one identity text (a private key file, or key lines and comments). */
  private static List<Identity> parseIdentities(String text, String where) {
    if (SshKeys.isPrivateKeyFile(text)) {
      return List.of(SshKeys.parsePrivateKey(text, where));
    }
    List<Identity> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int ln = 0; ln < lines.length; ln++) {
      String line = lines[ln].trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String at = where + (lines.length > 1 ? " line " + (ln + 1) : "");
      if (line.startsWith("AGE-SECRET-KEY-")) {
        out.add(X25519Keys.parseIdentity(line, at));
      } else if (line.startsWith("ssh-")) {
        throw new AgeException(
            Kind.INVALID_KEY,
            at + " is an SSH public key; decrypting needs the private key file's text");
      } else if (line.startsWith("-----BEGIN")) {
        throw new AgeException(
            Kind.INVALID_KEY,
            at
                + " is a PEM key that is not an OpenSSH private key; only"
                + " '-----BEGIN OPENSSH PRIVATE KEY-----' ed25519 keys are supported");
      } else {
        throw new AgeException(
            Kind.INVALID_KEY,
            at + " is not an AGE-SECRET-KEY-1… identity, a # comment or an OpenSSH private key");
      }
    }
    if (out.isEmpty()) {
      throw new AgeException(Kind.INVALID_KEY, where + " contains no key");
    }
    return List.copyOf(out);
  }

  /**
   * A passphrase as a recipient (age's {@code scrypt} stanza, work factor 2^18, as {@code age -p}).
   */
  public static Recipient passphraseRecipient(String passphrase) {
    if (passphrase == null || passphrase.isEmpty()) {
      throw new AgeException(Kind.INVALID_KEY, "the passphrase is empty");
    }
    return new ScryptKeys.ScryptRecipient(passphrase, ScryptKeys.DEFAULT_LOG_N);
  }

  /** A passphrase as an identity (age's {@code scrypt} stanza, work factor up to 2^22). */
  public static Identity passphraseIdentity(String passphrase) {
    if (passphrase == null || passphrase.isEmpty()) {
      throw new AgeException(Kind.INVALID_KEY, "the passphrase is empty");
    }
    return new ScryptKeys.ScryptIdentity(passphrase);
  }

  /** A new X25519 identity, {@code AGE-SECRET-KEY-1…}. */
  public static String generateIdentity() {
    return X25519Keys.generate();
  }
}
