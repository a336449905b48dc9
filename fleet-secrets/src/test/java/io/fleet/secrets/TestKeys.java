package io.fleet.secrets;

import io.fleet.secrets.internal.Pem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;

/** An ed25519 host key pair for tests: the OpenSSH private key file and the public key line. */
public final class TestKeys {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The unencrypted OpenSSH private key file's text (an age identity). */
  public final String identity;

  /** The {@code ssh-ed25519 AAAA…} line (an age recipient). */
  public final String recipient;

  private TestKeys(String identity, String recipient) {
    this.identity = identity;
    this.recipient = recipient;
  }

  /** A new key pair. */
  public static TestKeys generate() {
    Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(RANDOM);
    try {
      return new TestKeys(
          Pem.encode("OPENSSH PRIVATE KEY", OpenSSHPrivateKeyUtil.encodePrivateKey(key), 70),
          "ssh-ed25519 "
              + Base64.getEncoder()
                  .encodeToString(OpenSSHPublicKeyUtil.encodePublicKey(key.generatePublicKey())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "TestKeys{" + recipient + "}";
  }
}
