package io.fleet.examples.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationResult;
import io.fleet.secrets.RotationStep;
import io.fleet.secrets.SecretRotation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code secrets list|add|add-shared|read|regenerate|update-shared|prune}. */
@Command(
    name = "secrets",
    description = "Manage the fleet's secrets in the data file (encrypted with age to host keys).",
    subcommands = {
      SecretsCommand.ListSecrets.class,
      SecretsCommand.Add.class,
      SecretsCommand.AddShared.class,
      SecretsCommand.Read.class,
      SecretsCommand.Regenerate.class,
      SecretsCommand.UpdateShared.class,
      SecretsCommand.Prune.class
    })
final class SecretsCommand {
  @ParentCommand FleetCli cli;

  /** A secrets subcommand: opens the session; on fake hosts, brings the data up to date first. */
  abstract static class Sub implements Callable<Integer> {
    @ParentCommand SecretsCommand secrets;

    FleetCli cli() {
      return secrets.cli;
    }

    abstract int run(Session s);

    @Override
    public Integer call() {
      try (Session s = Session.open(cli())) {
        if (readsExistingData()) {
          s.requireDataFile();
        }
        if (s.fake.isPresent() && syncsFakeHosts()) {
          // Fake hosts have new keys on every run: generate what is missing and re-encrypt to the
          // new keys (with --identity) before the command, as if the fleet had been running.
          s.rotation().build().execute(without(s.rotation().build().plan(), RotationAction.REMOVE));
        }
        return run(s);
      }
    }

    boolean syncsFakeHosts() {
      return true;
    }

    /** Whether a {@code --data} file must exist already (it may be new for adding). */
    boolean readsExistingData() {
      return true;
    }
  }

  static RotationPlan without(RotationPlan plan, RotationAction action) {
    return only(plan, st -> st.action() != action);
  }

  static RotationPlan only(RotationPlan plan, Predicate<RotationStep> keep) {
    return RotationPlan.builder()
        .plannedAt(plan.plannedAt())
        .steps(plan.steps().stream().filter(keep).collect(Collectors.toList()))
        .build();
  }

  static void printPlan(FleetCli cli, RotationPlan plan, boolean done) {
    if (cli.json) {
      cli.out.println(plan.toJson());
      return;
    }
    for (RotationStep st : plan.pending()) {
      cli.out.printf(
          "%-10s %-32s %s%n",
          st.action(), st.host().map(h -> h + "/").orElse("") + st.name(), st.description());
    }
    cli.out.println(
        (done ? "done: " : "planned: ")
            + plan.pending().size()
            + " change(s), "
            + (plan.steps().size() - plan.pending().size())
            + " unchanged");
  }

  /** {@code secrets list}. */
  @Command(
      name = "list",
      description = "List declared and stored secrets of the selected hosts, and shared ones.")
  static final class ListSecrets extends Sub {
    @Override
    int run(Session s) {
      FleetData data = s.loadExisting();
      ArrayNode all = FleetJson.mapper().createArrayNode();
      for (Host h : s.selected()) {
        Map<String, StoredSecret> stored = data.hostSecrets().getOrDefault(h.name(), Map.of());
        TreeSet<String> names = new TreeSet<>(h.secrets().keySet());
        names.addAll(stored.keySet());
        for (String name : names) {
          ObjectNode o = all.addObject();
          o.put("kind", "host").put("host", h.name()).put("name", name);
          o.putArray("owners").add(h.name());
          describe(o, h.secrets().containsKey(name), Optional.ofNullable(stored.get(name)));
        }
      }
      TreeSet<String> shared = new TreeSet<>(s.fleet.sharedSecrets().keySet());
      shared.addAll(data.sharedSecrets().keySet());
      for (String name : shared) {
        Optional<SecretSpec> spec = s.fleet.sharedSecret(name);
        Optional<SharedSecretData> st = data.sharedSecret(name);
        ObjectNode o = all.addObject();
        o.put("kind", "shared").put("name", name);
        ArrayNode owners = o.putArray("owners");
        (st.isPresent() ? st.get().owners() : spec.get().owners()).forEach(owners::add);
        describe(o, spec.isPresent(), st.map(SharedSecretData::secret));
      }
      if (cli().json) {
        cli().out.println(FleetJson.toJson(all));
        return ExitCode.OK;
      }
      cli().out.printf("%-7s %-24s %-9s %-24s %s%n", "KIND", "NAME", "STATE", "CREATED", "OWNERS");
      for (var n : all) {
        cli()
            .out
            .printf(
                "%-7s %-24s %-9s %-24s %s%n",
                n.get("kind").asText(),
                (n.has("host") ? n.get("host").asText() + "/" : "") + n.get("name").asText(),
                n.get("state").asText(),
                n.has("createdAt") ? n.get("createdAt").asText() : "-",
                n.get("owners").toString());
      }
      return ExitCode.OK;
    }

    private static void describe(ObjectNode o, boolean declared, Optional<StoredSecret> stored) {
      o.put("declared", declared);
      o.put("stored", stored.isPresent());
      o.put("state", !stored.isPresent() ? "missing" : declared ? "stored" : "undeclared");
      stored.ifPresent(
          st -> {
            o.put("createdAt", st.createdAt().toString());
            st.expiresAt().ifPresent(e -> o.put("expiresAt", e.toString()));
            ArrayNode parts = o.putArray("parts");
            st.parts().keySet().forEach(parts::add);
          });
    }
  }

  static void checkNames(String name, String part) {
    if (!Names.isValidSecretName(name)) {
      throw new FleetConfigException(
          Names.quote(name) + " is not a valid secret name: use letters, digits, '.', '_', '-'");
    }
    if (!Names.isValidPartName(part)) {
      throw new FleetConfigException(Names.quote(part) + " is not a valid part name");
    }
  }

  /** Reads a secret's plaintext from standard input (all of it). */
  static byte[] readStdin(FleetCli cli, String what) {
    try {
      byte[] b = cli.stdin.readAllBytes();
      if (b.length == 0) {
        throw new FleetConfigException(
            what
                + ": standard input is empty; pipe the secret in, e.g. printf %s \"$X\" | fleet …");
      }
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code secrets add NAME --on HOST}. */
  @Command(
      name = "add",
      description =
          "Store a host secret read from standard input, encrypted to the one host of --on.")
  static final class Add extends Sub {
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

    @Override
    int run(Session s) {
      checkNames(name, part);
      List<Host> hosts = s.selected();
      if (cli().on.isEmpty() || hosts.size() != 1) {
        throw new FleetConfigException(
            "secrets add needs exactly one host: --on NAME (the selection gives "
                + hosts.stream().map(Host::name).collect(Collectors.toList())
                + "); use add-shared for several owners");
      }
      String host = hosts.get(0).name();
      s.requireDataDirectory();
      byte[] plaintext = readStdin(cli(), "secrets add " + name);
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
  static final class AddShared extends Sub {
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

    @Override
    int run(Session s) {
      checkNames(name, part);
      if (cli().on.isEmpty()) {
        throw new FleetConfigException("secrets add-shared needs its owners: --on NAME,@TAG,GLOB");
      }
      List<String> owners = s.selected().stream().map(Host::name).collect(Collectors.toList());
      s.requireDataDirectory();
      byte[] plaintext = readStdin(cli(), "secrets add-shared " + name);
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

  /** {@code secrets read NAME [--on HOST]}. */
  @Command(
      name = "read",
      description =
          "Print a secret's plaintext: the host secret of the one host of --on, else the shared"
              + " secret NAME. Decrypted with --identity, or on an owner host.")
  static final class Read extends Sub {
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

  /** {@code secrets regenerate}. */
  @Command(
      name = "regenerate",
      description =
          "Generate missing secrets, regenerate expired or changed ones and re-encrypt those whose"
              + " owners changed (everything but removal; see prune).")
  static final class Regenerate extends Sub {
    @Option(names = "--dry-run", description = "Print the plan; change nothing.")
    boolean dryRun;

    @Override
    boolean syncsFakeHosts() {
      return false;
    }

    @Override
    boolean readsExistingData() {
      return false;
    }

    @Override
    int run(Session s) {
      s.requireDataDirectory();
      SecretRotation rotation = s.rotation().build();
      RotationPlan plan = without(rotation.plan(), RotationAction.REMOVE);
      if (!dryRun) {
        RotationResult result = rotation.execute(plan);
        result.warnings().forEach(w -> cli().err.println("warning: " + w));
      }
      printPlan(cli(), plan, !dryRun);
      return ExitCode.OK;
    }
  }

  /** {@code secrets update-shared NAME --on SELECTORS}. */
  @Command(
      name = "update-shared",
      description = "Re-encrypt a stored shared secret to the hosts of --on (its new owners).")
  static final class UpdateShared extends Sub {
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

  /** {@code secrets prune}. */
  @Command(
      name = "prune",
      description = "Remove stored secrets the fleet no longer declares (and those of gone hosts).")
  static final class Prune extends Sub {
    @Option(names = "--dry-run", description = "Print what would go; change nothing.")
    boolean dryRun;

    @Override
    int run(Session s) {
      s.loadExisting();
      SecretRotation rotation = s.rotation().build();
      RotationPlan plan = only(rotation.plan(), st -> st.action() == RotationAction.REMOVE);
      if (!dryRun) {
        rotation.execute(plan);
      }
      printPlan(cli(), plan, !dryRun);
      return ExitCode.OK;
    }
  }
}
