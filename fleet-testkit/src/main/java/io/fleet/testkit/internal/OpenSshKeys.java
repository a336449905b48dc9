package io.fleet.testkit.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * An ed25519 key pair in OpenSSH's formats: the public line {@code ssh-ed25519 AAAA… comment} and
 * the unencrypted {@code openssh-key-v1} private key file (PROTOCOL.key), which {@code ssh-keygen}
 * and {@code age} read.
 */
public final class OpenSshKeys {
  private final byte[] publicKey;
  private final byte[] seed;
  private final String comment;

  private OpenSshKeys(byte[] publicKey, byte[] seed, String comment) {
    this.publicKey = publicKey;
    this.seed = seed;
    this.comment = comment;
  }

  /** A fresh key pair from the JDK's Ed25519 generator. */
  public static OpenSshKeys generate(String comment) {
    try {
      KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] spki = kp.getPublic().getEncoded(); // 12-byte SubjectPublicKeyInfo header + 32 bytes
      byte[] pkcs8 = kp.getPrivate().getEncoded(); // 16-byte PKCS#8 header + 32-byte seed
      return new OpenSshKeys(
          Arrays.copyOfRange(spki, spki.length - 32, spki.length),
          Arrays.copyOfRange(pkcs8, pkcs8.length - 32, pkcs8.length),
          comment);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no Ed25519 key pair generator", e);
    }
  }

  /** The 32-byte public key. */
  public byte[] rawPublicKey() {
    return publicKey.clone();
  }

  /** The public key blob: {@code string "ssh-ed25519", string key}. */
  private byte[] publicBlob() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    putString(b, "ssh-ed25519".getBytes(StandardCharsets.US_ASCII));
    putString(b, publicKey);
    return b.toByteArray();
  }

  /** {@code ssh-ed25519 AAAA… comment}. */
  public String publicLine() {
    return "ssh-ed25519 " + Base64.getEncoder().encodeToString(publicBlob()) + " " + comment;
  }

  /** The unencrypted OpenSSH private key file, PEM-armored, with a final newline. */
  public String privateKeyFile() {
    ByteArrayOutputStream priv = new ByteArrayOutputStream();
    int check = new SecureRandom().nextInt();
    putInt(priv, check);
    putInt(priv, check);
    putString(priv, "ssh-ed25519".getBytes(StandardCharsets.US_ASCII));
    putString(priv, publicKey);
    byte[] secret = new byte[64];
    System.arraycopy(seed, 0, secret, 0, 32);
    System.arraycopy(publicKey, 0, secret, 32, 32);
    putString(priv, secret);
    putString(priv, comment.getBytes(StandardCharsets.UTF_8));
    for (int pad = 1; priv.size() % 8 != 0; pad++) {
      priv.write(pad);
    }
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    file.writeBytes("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
    putString(file, "none".getBytes(StandardCharsets.US_ASCII));
    putString(file, "none".getBytes(StandardCharsets.US_ASCII));
    putString(file, new byte[0]);
    putInt(file, 1);
    putString(file, publicBlob());
    putString(file, priv.toByteArray());
    String b64 = Base64.getEncoder().encodeToString(file.toByteArray());
    StringBuilder sb = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    for (int i = 0; i < b64.length(); i += 70) {
      sb.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
    }
    return sb.append("-----END OPENSSH PRIVATE KEY-----\n").toString();
  }

  private static void putInt(ByteArrayOutputStream b, int v) {
    b.write(v >>> 24);
    b.write(v >>> 16);
    b.write(v >>> 8);
    b.write(v);
  }

  private static void putString(ByteArrayOutputStream b, byte[] s) {
    putInt(b, s.length);
    b.writeBytes(s);
  }
}
