package io.fleet.examples.cli;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.SecretException;
import io.fleet.api.TransportException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretHostCommands;
import io.fleet.secrets.age.Age;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The secret work the CLI does itself, beside {@link io.fleet.secrets.SecretRotation}: encrypting a
 * given plaintext to hosts' keys, re-encrypting a stored secret to new owners and reading one. A
 * secret is decrypted with the operator identity when there is one, and otherwise on an owner host
 * with its SSH host key, re-encrypted there to a key made for this one read, so its plaintext
 * crosses the network only encrypted and is never written to disk.
 */
final class HostSecrets {
  private final Session session;
  private final SecretCipher cipher = SecretCipher.discover();

  HostSecrets(Session session) {
    this.session = session;
  }

  /**
   * The recipients for {@code owners}: each host's recorded key, or the key fetched from the host
   * (and recorded in the returned data), plus the operator's.
   */
  Recipients recipients(FleetData data, Collection<String> owners) {
    Map<String, String> keys = new LinkedHashMap<>();
    FleetData updated = data;
    for (String owner : owners) {
      Optional<String> known = data.hostKey(owner);
      String key = known.isPresent() ? known.get() : fetchHostKey(owner);
      if (known.isEmpty()) {
        updated = updated.withHostKey(owner, key);
      }
      keys.put(owner, key);
    }
    List<String> all = new ArrayList<>(keys.values());
    session.operatorIdentity().map(Age::recipientOf).ifPresent(all::add);
    return new Recipients(all, updated);
  }

  /** The recipients and the data with any newly fetched host keys. */
  record Recipients(List<String> keys, FleetData data) {}

  /** {@code plaintext} as a one-part stored secret encrypted to {@code recipients}. */
  StoredSecret seal(String part, byte[] plaintext, List<String> recipients) {
    return StoredSecret.builder()
        .createdAt(session.clock.instant())
        .putParts(part, SecretPart.encrypted(cipher.encrypt(plaintext, recipients)))
        .build();
  }

  /** The plaintext of an encrypted part, decrypted as the class comment says. */
  byte[] open(byte[] ageFile, Collection<String> owners, Optional<String> preferredHost) {
    Optional<String> identity = session.operatorIdentity();
    if (identity.isPresent()) {
      return cipher.decrypt(ageFile, List.of(identity.get()));
    }
    String host = preferredHost.filter(owners::contains).orElse(owners.iterator().next());
    String oneTime = Age.generateIdentity();
    byte[] sealed = reencryptOn(host, ageFile, List.of(Age.recipientOf(oneTime)));
    return cipher.decrypt(sealed, List.of(oneTime));
  }

  /** {@code ageFile} re-encrypted to {@code recipients}, here or on one of {@code owners}. */
  byte[] reencrypt(byte[] ageFile, Collection<String> owners, List<String> recipients) {
    Optional<String> identity = session.operatorIdentity();
    if (identity.isPresent()) {
      return cipher.encrypt(cipher.decrypt(ageFile, List.of(identity.get())), recipients);
    }
    SecretException last = null;
    for (String owner : owners) {
      if (!session.fleet.hosts().containsKey(owner)) {
        continue;
      }
      try {
        return reencryptOn(owner, ageFile, recipients);
      } catch (SecretException | TransportException e) {
        last = e instanceof SecretException se ? se : new SecretException(e.getMessage(), e);
      }
    }
    throw last != null
        ? last
        : new SecretException(
            "no owner of the secret is in the fleet to re-encrypt it on: pass --identity with an"
                + " operator key the secret is encrypted to");
  }

  private byte[] reencryptOn(String host, byte[] ageFile, List<String> recipients) {
    Host h = session.fleet.host(host);
    try (Connection c = session.transport.connect(h)) {
      CommandResult r =
          c.run(SecretHostCommands.reencrypt(SecretHostCommands.HOST_KEY, recipients, ageFile));
      if (!r.isSuccess()) {
        throw new SecretException(
            "host "
                + Names.quote(host)
                + " cannot decrypt the secret with its host key (exit "
                + r.exitCode()
                + ": "
                + r.stderrText().trim()
                + "); the secret was encrypted to another key: regenerate it, or pass --identity");
      }
      return r.stdout();
    }
  }

  private String fetchHostKey(String host) {
    Host h = session.fleet.host(host);
    try (Connection c = session.transport.connect(h)) {
      CommandResult r = c.run(SecretHostCommands.readHostKey(SecretHostCommands.HOST_KEY));
      String[] f = r.stdoutText().trim().split("\\s+");
      if (!r.isSuccess() || f.length < 2 || !f[0].equals("ssh-ed25519")) {
        throw new FleetConfigException(
            "host "
                + Names.quote(host)
                + " has no ed25519 host key at "
                + SecretHostCommands.HOST_KEY
                + ".pub: generate one (ssh-keygen -A) on the host");
      }
      return f[0] + " " + f[1];
    }
  }
}
