package io.fleet.transport.internal;

import io.fleet.api.DeploymentException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.deploy.DeploymentPlan;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.api.spi.SystemDerivation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a deployment plan deploys to each chosen host: its system (given, the host's own, or built
 * by the evaluator in one batch), the derivation of each host that builds its system on the target,
 * and the closure to copy for each (one evaluator call for the systems' closures, one for the
 * derivations').
 */
public final class PlanSystems {
  /**
   * The resolved systems.
   *
   * @param systems host name to the store path of its system
   * @param derivations host name to its system's derivation, for hosts that build on the target
   * @param closures system or derivation path to its closure, references first
   */
  public record Resolved(
      Map<String, String> systems,
      Map<String, String> derivations,
      Map<String, List<StorePathInfo>> closures) {}

  private final Fleet fleet;
  private final Evaluator evaluator;

  /**
   * @param evaluator the deployer's evaluator, or null (then every system must be given)
   */
  public PlanSystems(Fleet fleet, Evaluator evaluator) {
    this.fleet = fleet;
    this.evaluator = evaluator;
  }

  /**
   * Resolves the systems of {@code hosts}.
   *
   * @param given systems given by host name ({@code Planner.system})
   * @param buildOnTarget selectors of the hosts that build on the target
   * @throws FleetConfigException if a system is not a store path, or a host is both given a system
   *     and to be built on the target
   * @throws DeploymentException if the evaluator is missing or gives no derivation
   */
  public Resolved resolve(List<Host> hosts, Map<String, String> given, List<String> buildOnTarget) {
    Map<String, String> targetSystems = new LinkedHashMap<>();
    Map<String, String> chosen = new LinkedHashMap<>();
    List<String> toBuild = new ArrayList<>();
    Map<String, String> derivations = targetDerivations(hosts, given, buildOnTarget, targetSystems);
    for (Host h : hosts) {
      if (derivations.containsKey(h.name())) {
        continue;
      }
      String s = given.get(h.name());
      if (s == null) {
        s = h.systemPath().orElse(null);
      }
      if (s == null) {
        toBuild.add(h.name());
      } else {
        chosen.put(h.name(), s);
      }
    }
    if (!toBuild.isEmpty()) {
      requireEvaluator("build the systems of " + toBuild);
      chosen.putAll(evaluator.build(fleet, toBuild, BuildListener.NONE));
    }
    chosen.putAll(targetSystems);
    for (Host h : hosts) {
      String s = chosen.get(h.name());
      if (!DeploymentPlan.isStorePath(s)) {
        // checked again (with every other problem) by the plan; fail before asking the evaluator
        throw new FleetConfigException(
            "host "
                + Names.quote(h.name())
                + ": system "
                + Names.quote(s)
                + " is not a Nix store path (/nix/store/<32 base-32 chars>-<name>)");
      }
    }
    Set<String> distinct = new LinkedHashSet<>();
    for (Map.Entry<String, String> e : chosen.entrySet()) {
      if (!derivations.containsKey(e.getKey())) {
        distinct.add(e.getValue());
      }
    }
    requireEvaluator("find the closures of the systems");
    Map<String, StorePathInfo> infos = new HashMap<>();
    for (StorePathInfo i : evaluator.closure(distinct)) {
      infos.put(i.path(), i);
    }
    Set<String> drvs = new LinkedHashSet<>(derivations.values());
    if (!drvs.isEmpty()) {
      for (StorePathInfo i : evaluator.derivationClosure(drvs)) {
        infos.put(i.path(), i);
      }
    }
    Map<String, List<StorePathInfo>> closures = new HashMap<>();
    for (String s : distinct) {
      closures.put(s, closureOf(s, infos));
    }
    for (String d : drvs) {
      closures.put(d, closureOf(d, infos));
    }
    return new Resolved(chosen, derivations, closures);
  }

  /**
   * The derivations of the chosen hosts that build on the target (one evaluator call), and their
   * output paths into {@code targetSystems}.
   */
  private Map<String, String> targetDerivations(
      List<Host> hosts,
      Map<String, String> given,
      List<String> buildOnTarget,
      Map<String, String> targetSystems) {
    if (buildOnTarget.isEmpty()) {
      return Map.of();
    }
    Set<String> selected = new HashSet<>();
    for (Host h : fleet.select(buildOnTarget, List.of())) {
      selected.add(h.name());
    }
    List<String> names = new ArrayList<>();
    for (Host h : hosts) {
      if (selected.contains(h.name())) {
        if (given.containsKey(h.name())) {
          throw new FleetConfigException(
              "host "
                  + Names.quote(h.name())
                  + " is to be built on the target, but a system path was given for it with"
                  + " Planner.system(...): building on the target needs its derivation; drop one"
                  + " of the two");
        }
        names.add(h.name());
      }
    }
    if (names.isEmpty()) {
      return Map.of();
    }
    requireEvaluator("evaluate the derivations of " + names + " to build on the target");
    Map<String, SystemDerivation> got = evaluator.derivations(fleet, names);
    Map<String, String> out = new LinkedHashMap<>();
    for (String n : names) {
      SystemDerivation d = got.get(n);
      if (d == null) {
        throw new DeploymentException(
            n,
            "the evaluator gave no system derivation for host "
                + Names.quote(n)
                + ", which is to be built on the target",
            null);
      }
      out.put(n, d.drvPath());
      targetSystems.put(n, d.outPath());
    }
    return out;
  }

  private void requireEvaluator(String what) {
    if (evaluator == null) {
      throw new DeploymentException(
          "the deployer needs an evaluator to "
              + what
              + ": pass one with Deployer.builder().evaluator(...)");
    }
  }

  /** The closure of {@code root}, references first, from the infos of a bigger closure. */
  public static List<StorePathInfo> closureOf(String root, Map<String, StorePathInfo> infos) {
    List<StorePathInfo> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    // Iterative post-order depth-first search, so deep closures cannot overflow the stack.
    List<Object[]> stack = new ArrayList<>();
    stack.add(new Object[] {root, null});
    seen.add(root);
    while (!stack.isEmpty()) {
      Object[] top = stack.get(stack.size() - 1);
      String path = (String) top[0];
      StorePathInfo info = infos.get(path);
      if (info == null) {
        throw new DeploymentException(
            "the evaluator's closure lacks " + Names.quote(path) + ", which " + root + " needs");
      }
      @SuppressWarnings("unchecked")
      java.util.Iterator<String> it = (java.util.Iterator<String>) top[1];
      if (it == null) {
        it = info.references().iterator();
        top[1] = it;
      }
      boolean pushed = false;
      while (it.hasNext()) {
        String r = it.next();
        if (seen.add(r)) {
          stack.add(new Object[] {r, null});
          pushed = true;
          break;
        }
      }
      if (!pushed) {
        stack.remove(stack.size() - 1);
        out.add(info);
      }
    }
    return out;
  }
}
