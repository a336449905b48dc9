package io.fleet.transport;

import io.fleet.api.Host;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.deploy.HostReport;
import io.fleet.api.pipeline.StageOutcome;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.transport.internal.PlanSystems;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pipeline's deploy stage as the {@link Deployer} sees it: a one-host {@link DeploymentPlan}
 * per host, with the run's id and deployment options, and the closure of its system (asked of the
 * evaluator once per system, ordered references first as {@link Deployer.Planner} orders it).
 * Thread-safe.
 */
final class OneHostPlans {
  private final DeploymentPlan template;
  private final Evaluator evaluator;
  private final Map<String, List<StorePathInfo>> closures = new ConcurrentHashMap<>();

  /** Plans like {@code template} (a plan of no host: id, action, options). */
  OneHostPlans(DeploymentPlan template, Evaluator evaluator) {
    this.template = template;
    this.evaluator = evaluator;
  }

  /**
   * The plan that deploys {@code system} to {@code host}; with a {@code derivation}, the host
   * builds it itself (the plan copies the derivation's closure instead of the system's).
   *
   * @param derivation the system's {@code .drv} when the host builds on the target, else null
   * @throws io.fleet.api.FleetException if the closure cannot be found or the plan is invalid
   */
  DeploymentPlan planFor(Host host, String system, String derivation) {
    DeploymentPlan.Builder plan =
        DeploymentPlan.builder()
            .from(template)
            .hosts(List.of(host))
            .systems(Map.of(host.name(), system))
            .batches(List.of(List.of(host.name())))
            .parallelism(1);
    // The host copies the closure of what it gets: its system, or the derivation it builds.
    String root = derivation == null ? system : derivation;
    plan.closures(
        Map.of(root, closures.computeIfAbsent(root, r -> closureOf(r, derivation != null))));
    if (derivation != null) {
      plan.derivations(Map.of(host.name(), derivation));
    }
    return plan.build();
  }

  /** The closure of {@code root}, references first: of a derivation, its .drv files and sources. */
  private List<StorePathInfo> closureOf(String root, boolean derivation) {
    Map<String, StorePathInfo> infos = new HashMap<>();
    for (StorePathInfo i :
        derivation
            ? evaluator.derivationClosure(List.of(root))
            : evaluator.closure(List.of(root))) {
      infos.put(i.path(), i);
    }
    return PlanSystems.closureOf(root, infos);
  }

  /** The deploy stage's outcome for a host's deployment report. */
  static StageOutcome outcomeOf(HostReport report) {
    if (report.outcome().isSuccess()) {
      return StageOutcome.SUCCEEDED;
    }
    return report.outcome() == HostOutcome.CANCELLED ? StageOutcome.CANCELLED : StageOutcome.FAILED;
  }
}
