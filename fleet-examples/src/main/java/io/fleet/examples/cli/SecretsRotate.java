package io.fleet.examples.cli;

import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationResult;
import io.fleet.secrets.SecretRotation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The commands that run the rotation: {@code secrets regenerate} and {@code secrets prune}. */
final class SecretsRotate {
  private SecretsRotate() {}

  /** {@code secrets regenerate}. */
  @Command(
      name = "regenerate",
      description =
          "Generate missing secrets, regenerate expired or changed ones and re-encrypt those whose"
              + " owners changed (everything but removal; see prune).")
  static final class Regenerate extends SecretsCommand.Sub {
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
      RotationPlan plan = SecretsCommand.without(rotation.plan(), RotationAction.REMOVE);
      if (!dryRun) {
        RotationResult result = rotation.execute(plan);
        result.warnings().forEach(w -> cli().err.println("warning: " + w));
      }
      SecretsCommand.printPlan(cli(), plan, !dryRun);
      return ExitCode.OK;
    }
  }

  /** {@code secrets prune}. */
  @Command(
      name = "prune",
      description = "Remove stored secrets the fleet no longer declares (and those of gone hosts).")
  static final class Prune extends SecretsCommand.Sub {
    @Option(names = "--dry-run", description = "Print what would go; change nothing.")
    boolean dryRun;

    @Override
    int run(Session s) {
      s.loadExisting();
      SecretRotation rotation = s.rotation().build();
      RotationPlan plan =
          SecretsCommand.only(rotation.plan(), st -> st.action() == RotationAction.REMOVE);
      if (!dryRun) {
        rotation.execute(plan);
      }
      SecretsCommand.printPlan(cli(), plan, !dryRun);
      return ExitCode.OK;
    }
  }
}
