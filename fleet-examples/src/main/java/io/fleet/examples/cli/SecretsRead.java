package io.fleet.examples.cli;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code secrets read} command. */
final class SecretsRead {
  private SecretsRead() {}

  /** {@code secrets read NAME [--on HOST]}. */
  @Command(
      name = "read",
      description =
          "Print a secret's plaintext: the host secret of the one host of --on, else the shared"
              + " secret NAME. Decrypted with --identity, or on an owner host.")
  static final class Read extends SecretsCommand.Sub {
    @Parameters(paramLabel = "NAME", description = "The secret's name.")
    String name;

    @Option(names = "--part", paramLabel = "PART", description = "The part (default secret).")
    String part = "secret";

    @Override
    int run(Session s) {
      FleetData data = s.loadExisting();
      StoredSecret secret;
      List<String> owners;
      Optional<String> host = Optional.empty();
      if (!cli().on.isEmpty()) {
        List<Host> hosts = s.selected();
        if (hosts.size() != 1) {
          throw new FleetConfigException(
              "secrets read: --on must choose one host, not "
                  + hosts.stream().map(Host::name).collect(Collectors.toList()));
        }
        host = Optional.of(hosts.get(0).name());
      }
      Optional<StoredSecret> own = host.flatMap(h -> data.hostSecret(h, name));
      if (own.isPresent()) {
        secret = own.get();
        owners = List.of(host.get());
      } else {
        SharedSecretData shared =
            data.sharedSecret(name)
                .orElseThrow(
                    () ->
                        new FleetConfigException(
                            "no secret "
                                + Names.quote(name)
                                + " is stored"
                                + (cli().on.isEmpty()
                                    ? " as a shared secret (for a host secret, add --on HOST)"
                                    : " for " + cli().on + " nor as a shared secret")
                                + " in "
                                + s.dataFile
                                + "; 'secrets list' shows what is"));
        secret = shared.secret();
        owners = List.copyOf(shared.owners());
      }
      SecretPart p =
          secret
              .part(part)
              .orElseThrow(
                  () ->
                      new FleetConfigException(
                          "secret "
                              + Names.quote(name)
                              + " has no part "
                              + Names.quote(part)
                              + "; it has "
                              + secret.parts().keySet()));
      byte[] plain = p.isEncrypted() ? new HostSecrets(s).open(p.bytes(), owners, host) : p.bytes();
      cli().out.write(plain, 0, plain.length);
      cli().out.flush();
      java.util.Arrays.fill(plain, (byte) 0);
      return ExitCode.OK;
    }
  }
}
