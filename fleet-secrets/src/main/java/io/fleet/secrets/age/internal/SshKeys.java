package io.fleet.secrets.age.internal;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * OpenSSH ed25519 keys as age recipients and identities ({@code ssh-ed25519} stanzas): the Ed25519
 * key is converted to its X25519 (Montgomery) form and the shared secret is tweaked with a value
 * derived from the SSH public key, as the age specification's SSH recipients do.
 */
final class SshKeys {
  private static final String TYPE = "ssh-ed25519";
  private static final BigInteger P =
      BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
  private static final String BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
  private static final String END = "-----END OPENSSH PRIVATE KEY-----";
  private static final byte[] MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);

  private SshKeys() {}

  /** Common parts of an ssh-ed25519 recipient and identity. */
  private static final class KeyData {
    final byte[] sshKey; // wire encoding of the public key
    final byte[] montgomery;
    final String tag;
    final byte[] tweak;
    final String line;

    KeyData(byte[] edPublic, String what) {
      if (edPublic.length != 32 || !Ed25519.validatePublicKeyPartial(edPublic, 0)) {
        throw Wrapping.invalidKey(what + " is not a valid Ed25519 public key");
      }
      this.sshKey = wire(edPublic);
      this.montgomery = toMontgomery(edPublic, what);
      this.tag = Base64s.encodeRaw(Arrays.copyOf(sha256(sshKey), 4));
      this.tweak = Hkdf.sha256(new byte[0], sshKey, Wrapping.SSH_ED25519_LABEL, 32);
      this.line = TYPE + " " + Base64.getEncoder().encodeToString(sshKey);
    }
  }

  static byte[] wire(byte[] edPublic) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    writeString(b, TYPE.getBytes(StandardCharsets.US_ASCII));
    writeString(b, edPublic);
    return b.toByteArray();
  }

  private static void writeString(ByteArrayOutputStream b, byte[] s) {
    b.write(s.length >>> 24);
    b.write(s.length >>> 16);
    b.write(s.length >>> 8);
    b.write(s.length);
    b.write(s, 0, s.length);
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** u = (1 + y) / (1 - y) mod p, little-endian, for an Edwards point with coordinate y. */
  static byte[] toMontgomery(byte[] edPublic, String what) {
    byte[] be = new byte[32];
    for (int i = 0; i < 32; i++) {
      be[i] = edPublic[31 - i];
    }
    be[0] &= 0x7f;
    BigInteger y = new BigInteger(1, be);
    BigInteger den = BigInteger.ONE.subtract(y).mod(P);
    if (den.signum() == 0) {
      throw Wrapping.invalidKey(what + " is the Ed25519 identity point");
    }
    BigInteger u = BigInteger.ONE.add(y).multiply(den.modInverse(P)).mod(P);
    byte[] ube = u.toByteArray();
    byte[] le = new byte[32];
    for (int i = 0; i < ube.length && i < 32; i++) {
      le[i] = ube[ube.length - 1 - i];
    }
    return le;
  }

  /** An {@code ssh-ed25519 AAAA…} recipient. */
  static final class SshEd25519Recipient implements Recipient {
    private final KeyData key;

    private volatile byte[] tweaked;

    SshEd25519Recipient(byte[] edPublic, String what) {
      this.key = new KeyData(edPublic, what);
    }

    private byte[] tweaked() {
      byte[] t = tweaked;
      if (t == null) {
        t = X25519Engine.get().agree(key.tweak, key.montgomery);
        tweaked = t;
      }
      return t;
    }

    @Override
    public Stanza wrap(byte[] fileKey) {
      X25519Engine x = X25519Engine.get();
      byte[] eph = Wrapping.random(32);
      byte[] share = x.publicKey(eph);
      // The reference computes X25519(tweak, X25519(eph, pk)); scalar multiplications commute, so
      // X25519(eph, X25519(tweak, pk)) is the same value, and X25519(tweak, pk) is per recipient.
      byte[] tweaked = tweaked();
      byte[] secret = tweaked == null ? null : x.agree(eph, tweaked);
      java.util.Arrays.fill(eph, (byte) 0);
      if (secret == null) {
        throw Wrapping.invalidKey("ssh-ed25519 recipient " + key.line + " is a low-order point");
      }
      byte[] body =
          Wrapping.seal(
              secret, Wrapping.concat(share, key.montgomery), Wrapping.SSH_ED25519_LABEL, fileKey);
      return new Stanza(TYPE, List.of(key.tag, Base64s.encodeRaw(share)), body);
    }

    @Override
    public String encoded() {
      return key.line;
    }
  }

  /** An unencrypted OpenSSH ed25519 private key. */
  static final class SshEd25519Identity implements Identity {
    private final KeyData key;
    private final byte[] scalar;

    SshEd25519Identity(byte[] seed, byte[] edPublic, String what) {
      this.key = new KeyData(edPublic, what);
      byte[] h;
      try {
        h = MessageDigest.getInstance("SHA-512").digest(seed);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      this.scalar = Arrays.copyOf(h, 32);
      Arrays.fill(h, (byte) 0);
    }

    @Override
    public byte[] unwrap(Stanza stanza) {
      if (!stanza.type.equals(TYPE)) {
        return null;
      }
      if (stanza.args.size() != 2) {
        throw Header.failure("ssh-ed25519 stanza must have exactly two arguments");
      }
      if (!stanza.args.get(0).equals(key.tag)) {
        return null;
      }
      byte[] share = Wrapping.share(stanza.args.get(1), TYPE);
      X25519Engine x = X25519Engine.get();
      byte[] secret = x.agree(scalar, share);
      if (secret != null) {
        secret = x.agree(key.tweak, secret);
      }
      if (secret == null) {
        throw Header.failure("ssh-ed25519 stanza share is a low-order point");
      }
      return Wrapping.open(
          secret,
          Wrapping.concat(share, key.montgomery),
          Wrapping.SSH_ED25519_LABEL,
          stanza.body,
          TYPE);
    }

    @Override
    public String recipient() {
      return key.line;
    }

    @Override
    public String toString() {
      return "SshEd25519Identity{" + key.line + "}";
    }
  }

  /** Parses an {@code ssh-ed25519 AAAA… [comment]} line. */
  static Recipient parseRecipient(String line) {
    String[] parts = line.trim().split("\\s+");
    String shown = line.length() > 80 ? line.substring(0, 80) + "…" : line;
    if (parts.length < 2) {
      throw Wrapping.invalidKey("ssh recipient '" + shown + "' has no key after its type");
    }
    if (!parts[0].equals(TYPE)) {
      throw Wrapping.invalidKey(
          "ssh recipient type "
              + parts[0]
              + " is not supported: age here uses ssh-ed25519 keys (ssh-keygen -t ed25519)");
    }
    byte[] blob;
    try {
      blob = Base64.getDecoder().decode(parts[1]);
    } catch (IllegalArgumentException e) {
      throw Wrapping.invalidKey("ssh recipient '" + shown + "' has invalid base64");
    }
    SshReader r = new SshReader(blob, "ssh recipient '" + shown + "'");
    String type = r.string();
    byte[] pk = r.bytes();
    r.end();
    if (!type.equals(TYPE) || pk.length != 32) {
      throw Wrapping.invalidKey("ssh recipient '" + shown + "' is not an ssh-ed25519 key");
    }
    return new SshEd25519Recipient(pk, "ssh recipient '" + shown + "'");
  }

  static boolean isPrivateKeyFile(String text) {
    return text.contains(BEGIN);
  }

  /** Parses the text of an OpenSSH private key file; refuses encrypted and non-ed25519 keys. */
  static Identity parsePrivateKey(String text, String where) {
    int b = text.indexOf(BEGIN);
    int e = text.indexOf(END, b);
    if (b < 0 || e < 0) {
      throw Wrapping.invalidKey(where + " is not an OpenSSH private key file (no END line)");
    }
    byte[] blob;
    try {
      blob = Base64.getMimeDecoder().decode(text.substring(b + BEGIN.length(), e).trim());
    } catch (IllegalArgumentException ex) {
      throw Wrapping.invalidKey(where + ": OpenSSH private key has invalid base64");
    }
    if (blob.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(blob, MAGIC.length), MAGIC)) {
      throw Wrapping.invalidKey(where + " is not in the openssh-key-v1 format");
    }
    SshReader r =
        new SshReader(
            Arrays.copyOfRange(blob, MAGIC.length, blob.length), where + " (OpenSSH key)");
    String cipher = r.string();
    String kdf = r.string();
    r.bytes(); // kdf options
    if (!cipher.equals("none") || !kdf.equals("none")) {
      throw Wrapping.invalidKey(
          where
              + " is an OpenSSH private key encrypted with a passphrase ("
              + cipher
              + "), which age identities cannot be here: pass an unencrypted key (host keys in"
              + " /etc/ssh are unencrypted), or remove the passphrase with ssh-keygen -p");
    }
    long n = r.uint32();
    if (n != 1) {
      throw Wrapping.invalidKey(where + " holds " + n + " keys; expected exactly one");
    }
    r.bytes(); // public key blob
    SshReader priv = new SshReader(r.bytes(), where + " (OpenSSH private section)");
    if (priv.uint32() != priv.uint32()) {
      throw Wrapping.invalidKey(where + ": OpenSSH private key check bytes differ (corrupt)");
    }
    String type = priv.string();
    if (!type.equals(TYPE)) {
      throw Wrapping.invalidKey(
          where + " is an OpenSSH " + type + " key; only ssh-ed25519 keys can be age identities");
    }
    byte[] pk = priv.bytes();
    byte[] sk = priv.bytes();
    if (pk.length != 32 || sk.length != 64) {
      throw Wrapping.invalidKey(where + ": malformed ssh-ed25519 private key");
    }
    byte[] seed = Arrays.copyOf(sk, 32);
    if (!Arrays.equals(Arrays.copyOfRange(sk, 32, 64), pk)) {
      throw Wrapping.invalidKey(where + ": ssh-ed25519 private key does not match its public key");
    }
    Identity id = new SshEd25519Identity(seed, pk, where);
    Arrays.fill(seed, (byte) 0);
    Arrays.fill(sk, (byte) 0);
    return id;
  }

  /** Reads the SSH wire format, failing with INVALID_KEY on truncation. */
  private static final class SshReader {
    private final ByteBuffer buf;
    private final String what;

    SshReader(byte[] b, String what) {
      this.buf = ByteBuffer.wrap(b);
      this.what = what;
    }

    long uint32() {
      if (buf.remaining() < 4) {
        throw Wrapping.invalidKey(what + " is truncated");
      }
      return buf.getInt() & 0xffffffffL;
    }

    byte[] bytes() {
      long n = uint32();
      if (n > buf.remaining()) {
        throw Wrapping.invalidKey(what + " is truncated");
      }
      byte[] r = new byte[(int) n];
      buf.get(r);
      return r;
    }

    String string() {
      return new String(bytes(), StandardCharsets.ISO_8859_1);
    }

    void end() {
      if (buf.hasRemaining()) {
        throw Wrapping.invalidKey(what + " has trailing data");
      }
    }
  }
}
