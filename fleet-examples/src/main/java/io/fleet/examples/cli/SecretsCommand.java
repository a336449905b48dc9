package io.fleet.examples.cli;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Names;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationStep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code secrets list|add|add-shared|read|regenerate|update-shared|prune}. */
@Command(
    name = "secrets",
    description = "Manage the fleet's secrets in the data file (encrypted with age to host keys).",
    subcommands = {
      SecretsList.ListSecrets.class,
      SecretsStore.Add.class,
      SecretsStore.AddShared.class,
      SecretsRead.Read.class,
      SecretsRotate.Regenerate.class,
      SecretsStore.UpdateShared.class,
      SecretsRotate.Prune.class
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
}
