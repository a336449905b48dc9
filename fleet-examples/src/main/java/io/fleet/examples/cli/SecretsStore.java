package io.fleet.examples.cli;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The commands that store given secrets: {@code secrets add}, {@code add-shared} and {@code
 * update-shared}.
 */
final class SecretsStore {
  private SecretsStore() {}

  /** What {@code add} and {@code add-shared} share: a new secret's name, part and --force. */
  abstract static class NewSecret extends SecretsCommand.Sub {
    @Override
    boolean readsExistingData() {
      return false;
    }

    @Parameters(paramLabel = "NAME", description = "The secret's name.")
    String name;

    @Option(names = "--part", paramLabel = "PART", description = "The part name (default secret).")
    String part = "secret";

    @Option(names = "--force", description = "Replace a stored secret of that name.")
    boolean force;
  }

  /** {@code secrets add NAME --on HOST}. */
  @Command(
      name = "add",
      description =
          "Store a host secret read from standard input, encrypted to the one host of --on.")
  static final class Add extends NewSecret {
    @Override
    int run(Session s) {
      SecretsCommand.checkNames(name, part);
      List<Host> hosts = s.selected();
      if (cli().on.isEmpty() || hosts.size() != 1) {
        throw new FleetConfigException(
            "secrets add needs exactly one host: --on NAME (the selection gives "
                + hosts.stream().map(Host::name).collect(Collectors.toList())
                + "); use add-shared for several owners");
      }
      String host = hosts.get(0).name();
      s.requireDataDirectory();
      byte[] plaintext = SecretsCommand.readStdin(cli(), "secrets add " + name);
      HostSecrets hs = new HostSecrets(s);
      s.store.update(
          data -> {
            if (!force && data.hostSecret(host, name).isPresent()) {
              throw new FleetConfigException(
                  "host "
                      + Names.quote(host)
                      + " already has secret "
                      + Names.quote(name)
                      + ": pass --force to replace it");
            }
            HostSecrets.Recipients r = hs.recipients(data, List.of(host));
            return r.data().withHostSecret(host, name, hs.seal(part, plaintext, r.keys()));
          });
      java.util.Arrays.fill(plaintext, (byte) 0);
      cli().err.println("stored " + host + "/" + name + " in " + s.dataFile);
      return ExitCode.OK;
    }
  }

  /** {@code secrets add-shared NAME --on SELECTORS}. */
  @Command(
      name = "add-shared",
      description =
          "Store a shared secret read from standard input, encrypted to every host of --on.")
  static final class AddShared extends NewSecret {
    @Override
    int run(Session s) {
      SecretsCommand.checkNames(name, part);
      if (cli().on.isEmpty()) {
        throw new FleetConfigException("secrets add-shared needs its owners: --on NAME,@TAG,GLOB");
      }
      List<String> owners = s.selected().stream().map(Host::name).collect(Collectors.toList());
      s.requireDataDirectory();
      byte[] plaintext = SecretsCommand.readStdin(cli(), "secrets add-shared " + name);
      HostSecrets hs = new HostSecrets(s);
      s.store.update(
          data -> {
            if (!force && data.sharedSecret(name).isPresent()) {
              throw new FleetConfigException(
                  "shared secret " + Names.quote(name) + " is already stored: pass --force");
            }
            HostSecrets.Recipients r = hs.recipients(data, owners);
            return r.data()
                .withSharedSecret(
                    name, SharedSecretData.of(owners, hs.seal(part, plaintext, r.keys())));
          });
      java.util.Arrays.fill(plaintext, (byte) 0);
      cli().err.println("stored shared " + name + " for " + owners + " in " + s.dataFile);
      return ExitCode.OK;
    }
  }

  /** {@code secrets update-shared NAME --on SELECTORS}. */
  @Command(
      name = "update-shared",
      description = "Re-encrypt a stored shared secret to the hosts of --on (its new owners).")
  static final class UpdateShared extends SecretsCommand.Sub {
    @Parameters(paramLabel = "NAME", description = "The shared secret's name.")
    String name;

    @Override
    int run(Session s) {
      if (cli().on.isEmpty()) {
        throw new FleetConfigException("secrets update-shared needs the new owners: --on …");
      }
      List<String> owners = s.selected().stream().map(Host::name).collect(Collectors.toList());
      s.loadExisting();
      HostSecrets hs = new HostSecrets(s);
      s.store.update(
          data -> {
            SharedSecretData old =
                data.sharedSecret(name)
                    .orElseThrow(
                        () ->
                            new FleetConfigException(
                                "no shared secret "
                                    + Names.quote(name)
                                    + " is stored in "
                                    + s.dataFile
                                    + "; add it with add-shared"));
            HostSecrets.Recipients r = hs.recipients(data, owners);
            Map<String, SecretPart> parts = new java.util.TreeMap<>();
            for (var e : old.secret().parts().entrySet()) {
              SecretPart p = e.getValue();
              parts.put(
                  e.getKey(),
                  p.isEncrypted()
                      ? SecretPart.encrypted(hs.reencrypt(p.bytes(), old.owners(), r.keys()))
                      : p);
            }
            StoredSecret.Builder b = StoredSecret.builder().from(old.secret()).parts(parts);
            return r.data().withSharedSecret(name, SharedSecretData.of(owners, b.build()));
          });
      cli().err.println("re-encrypted shared " + name + " to " + owners);
      return ExitCode.OK;
    }
  }
}
