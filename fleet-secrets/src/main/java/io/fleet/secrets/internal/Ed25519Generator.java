package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;

/**
 * {@value Generators#ED25519}: an Ed25519 key pair; {@code secret} is the private key in OpenSSH's
 * {@code openssh-key-v1} format (unencrypted, as {@code ssh-keygen -N ''} writes it), {@code
 * public} the {@code ssh-ed25519 AAAA…} line.
 */
public final class Ed25519Generator implements SecretGenerator {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** For {@code ServiceLoader}. */
  public Ed25519Generator() {}

  @Override
  public String kind() {
    return Generators.ED25519;
  }

  @Override
  public StoredSecret generate(Request request) {
    Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(RANDOM);
    byte[] blob;
    String publicLine;
    try {
      blob = OpenSSHPrivateKeyUtil.encodePrivateKey(key);
      publicLine =
          "ssh-ed25519 "
              + Base64.getEncoder()
                  .encodeToString(OpenSSHPublicKeyUtil.encodePublicKey(key.generatePublicKey()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // OpenSSH writes 70-column lines.
    byte[] pem = Pem.encode("OPENSSH PRIVATE KEY", blob, 70).getBytes(StandardCharsets.US_ASCII);
    Arrays.fill(blob, (byte) 0);
    return new GeneratedSecret(request)
        .privatePart("secret", pem)
        .publicPart("public", publicLine)
        .build();
  }
}
