package io.fleet.secrets.internal;

import io.fleet.api.Fleet;
import io.fleet.api.Host;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationReason;
import io.fleet.secrets.RotationStep;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Compares declared secrets with stored ones and decides each one's action. Pure: no I/O, no
 * decryption; host keys are the ones recorded in the fleet data.
 */
public final class RotationPlanner {
  private final Fleet fleet;
  private final FleetData data;
  private final Instant now;
  private final boolean operatorCanDecrypt;
  private final Map<String, Optional<String>> tags;
  private final Map<String, Node> nodes;
  private final List<RotationStep> order;

  /**
   * A planner.
   *
   * @param operatorCanDecrypt whether an operator identity is configured, so that a secret no owner
   *     host can decrypt can still be re-encrypted locally
   */
  public RotationPlanner(Fleet fleet, FleetData data, Instant now, boolean operatorCanDecrypt) {
    this.fleet = fleet;
    this.data = data;
    this.now = now;
    this.operatorCanDecrypt = operatorCanDecrypt;
    int secrets = fleet.sharedSecrets().size();
    for (Host h : fleet.hosts().values()) {
      secrets += h.secrets().size();
    }
    this.tags = new HashMap<>(fleet.hosts().size() * 2);
    this.nodes = new LinkedHashMap<>(secrets * 2);
    this.order = new ArrayList<>(secrets + 16);
  }

  private static final class Node {
    final String host;
    final String name;
    final SecretSpec spec;
    final String id;
    final List<String> deps = new ArrayList<>(2);
    int state;
    RotationStep step;

    Node(String host, String name, SecretSpec spec) {
      this.host = host;
      this.name = name;
      this.spec = spec;
      this.id = host == null ? "shared/" + name : "host/" + host + "/" + name;
    }

    String id() {
      return id;
    }
  }

  /** The plan. */
  public RotationPlan plan() {
    for (SecretSpec s : fleet.sharedSecrets().values()) {
      Node n = new Node(null, s.name(), s);
      for (String d : s.dependsOn()) {
        n.deps.add("shared/" + d);
      }
      nodes.put(n.id(), n);
    }
    for (Host h : fleet.hosts().values()) {
      for (String name : new TreeSet<>(h.secrets().keySet())) {
        SecretSpec s = h.secrets().get(name);
        Node n = new Node(h.name(), name, s);
        for (String d : s.dependsOn()) {
          n.deps.add(h.secrets().containsKey(d) ? "host/" + h.name() + "/" + d : "shared/" + d);
        }
        nodes.put(n.id(), n);
      }
    }
    List<String> path = new ArrayList<>();
    for (Node n : nodes.values()) {
      visit(n, path);
    }
    // Stored secrets that are no longer declared.
    for (Map.Entry<String, SharedSecretData> e : data.sharedSecrets().entrySet()) {
      if (!nodes.containsKey("shared/" + e.getKey())) {
        order.add(
            RotationStep.builder()
                .name(e.getKey())
                .action(RotationAction.REMOVE)
                .addReasons(RotationReason.NOT_DECLARED)
                .description("shared secret " + e.getKey() + " is stored but no longer declared")
                .ownersBefore(e.getValue().owners())
                .build());
      }
    }
    for (Map.Entry<String, Map<String, StoredSecret>> e : data.hostSecrets().entrySet()) {
      for (String name : new TreeSet<>(e.getValue().keySet())) {
        if (!nodes.containsKey("host/" + e.getKey() + "/" + name)) {
          boolean hostGone = !fleet.hosts().containsKey(e.getKey());
          order.add(
              RotationStep.builder()
                  .host(e.getKey())
                  .name(name)
                  .action(RotationAction.REMOVE)
                  .addReasons(RotationReason.NOT_DECLARED)
                  .description(
                      hostGone
                          ? "host " + e.getKey() + " is no longer in the fleet"
                          : "secret " + name + " is no longer declared on host " + e.getKey())
                  .addOwnersBefore(e.getKey())
                  .build());
        }
      }
    }
    return RotationPlan.builder().plannedAt(now).steps(order).build();
  }

  private void visit(Node n, List<String> path) {
    if (n.state == 2) {
      return;
    }
    if (n.state == 1) {
      path.add(n.id());
      throw new io.fleet.api.FleetConfigException(
          "secrets depend on each other in a cycle: "
              + String.join(" -> ", path)
              + "; remove one dependsOn");
    }
    n.state = 1;
    path.add(n.id());
    for (String d : n.deps) {
      Node dep = nodes.get(d);
      if (dep == null) {
        throw new io.fleet.api.FleetConfigException(
            "secret " + n.id() + " depends on " + d + ", which is not declared; fix its dependsOn");
      }
      visit(dep, path);
    }
    path.remove(path.size() - 1);
    n.state = 2;
    n.step = decide(n);
    order.add(n.step);
  }

  private StoredSecret stored(String host, String name) {
    if (host == null) {
      SharedSecretData s = data.sharedSecrets().get(name);
      return s == null ? null : s.secret();
    }
    Map<String, StoredSecret> m = data.hostSecrets().get(host);
    return m == null ? null : m.get(name);
  }

  private RotationStep decide(Node n) {
    SecretSpec spec = n.spec;
    StoredSecret stored = stored(n.host, n.name);
    SortedSet<String> after = new TreeSet<>(n.host == null ? spec.owners() : Set.of(n.host));
    SortedSet<String> before = new TreeSet<>();
    if (stored != null) {
      if (n.host == null) {
        before.addAll(data.sharedSecrets().get(n.name).owners());
      } else {
        before.add(n.host);
      }
    }
    String what =
        n.host == null ? "shared secret " + n.name : "host " + n.host + " secret " + n.name;
    RotationStep.Builder b =
        RotationStep.builder().name(n.name).ownersBefore(before).ownersAfter(after);
    if (n.host != null) {
      b.host(n.host);
    }
    boolean canGenerate = spec.generator().isPresent();
    if (stored == null) {
      if (canGenerate) {
        return b.action(RotationAction.GENERATE)
            .addReasons(RotationReason.MISSING)
            .description(what + " is not stored yet")
            .build();
      }
      return b.action(RotationAction.UNCHANGED)
          .addReasons(RotationReason.MISSING, RotationReason.NO_GENERATOR)
          .description(what + " is not stored and has no generator")
          .warning(what + " is missing and has no generator: store a value for it by hand")
          .build();
    }

    List<RotationReason> regen = new ArrayList<>();
    List<String> why = new ArrayList<>();
    if (stored.isExpiredAt(now)) {
      regen.add(RotationReason.EXPIRED);
      why.add("expired at " + stored.expiresAt().get());
    } else if (spec.renewBefore().isPresent()
        && stored.expiresAt().isPresent()
        && !now.isBefore(stored.expiresAt().get().minus(spec.renewBefore().get()))) {
      regen.add(RotationReason.RENEWAL_DUE);
      why.add(
          "expires at "
              + stored.expiresAt().get()
              + ", within its renewal window of "
              + spec.renewBefore().get());
    }
    if (spec.expectedGenerationData().isPresent()
        && !spec.expectedGenerationData().get().equals(stored.generationData().orElse(null))) {
      regen.add(RotationReason.GENERATION_DATA_CHANGED);
      why.add("its generation data changed");
    }
    SortedSet<String> added = new TreeSet<>(after);
    added.removeAll(before);
    SortedSet<String> removed = new TreeSet<>(before);
    removed.removeAll(after);
    if (!added.isEmpty() && spec.regenerateOnOwnerAdded()) {
      regen.add(RotationReason.OWNER_ADDED);
      why.add("owner(s) " + added + " added");
    }
    if (!removed.isEmpty() && spec.regeneratesOnOwnerRemoved()) {
      regen.add(RotationReason.OWNER_REMOVED);
      why.add("owner(s) " + removed + " removed");
    }
    List<String> regeneratedDeps = new ArrayList<>();
    for (String d : n.deps) {
      Node dn = nodes.get(d);
      RotationStep ds = dn.step;
      StoredSecret dstored = stored(dn.host, dn.name);
      if (ds.action().producesNewValue()
          || (dstored != null && dstored.createdAt().isAfter(stored.createdAt()))) {
        regeneratedDeps.add(d);
      }
    }
    if (!regeneratedDeps.isEmpty()) {
      regen.add(RotationReason.DEPENDENCY_REGENERATED);
      why.add(
          "it depends on "
              + regeneratedDeps
              + ", which "
              + (regeneratedDeps.size() == 1 ? "is" : "are")
              + " new");
    }

    List<RotationReason> reenc = new ArrayList<>();
    List<String> reencWhy = new ArrayList<>();
    if (!added.isEmpty() && !regen.contains(RotationReason.OWNER_ADDED)) {
      reenc.add(RotationReason.OWNERS_CHANGED);
      reencWhy.add("owner(s) " + added + " added");
    }
    if (!removed.isEmpty() && !regen.contains(RotationReason.OWNER_REMOVED)) {
      if (!reenc.contains(RotationReason.OWNERS_CHANGED)) {
        reenc.add(RotationReason.OWNERS_CHANGED);
      }
      reencWhy.add("owner(s) " + removed + " removed");
    }
    SortedSet<String> keyChanged = new TreeSet<>();
    boolean decryptableByHost = true;
    boolean anyEncrypted = false;
    SortedSet<String> canDecrypt = new TreeSet<>(before);
    canDecrypt.retainAll(fleet.hosts().keySet());
    for (SecretPart p : stored.parts().values()) {
      if (!p.isEncrypted()) {
        continue;
      }
      anyEncrypted = true;
      Optional<Set<String>> partTags = AgeStanzas.sshTags(p.bytes());
      if (partTags.isEmpty()) {
        continue;
      }
      for (String owner : after) {
        if (!before.contains(owner)) {
          continue;
        }
        Optional<String> tag = tag(owner);
        if (tag.isPresent() && !partTags.get().contains(tag.get())) {
          keyChanged.add(owner);
        }
      }
      canDecrypt.removeIf(h -> tag(h).isEmpty() || !partTags.get().contains(tag(h).get()));
    }
    if (anyEncrypted && canDecrypt.isEmpty()) {
      decryptableByHost = false;
    }
    if (!keyChanged.isEmpty()) {
      reenc.add(RotationReason.HOST_KEY_CHANGED);
      reencWhy.add("the key of " + keyChanged + " is not among the keys it is encrypted to");
    }

    Optional<String> warning = Optional.empty();
    if (!removed.isEmpty() && !regen.contains(RotationReason.OWNER_REMOVED)) {
      warning =
          Optional.of(
              what
                  + ": owner(s) "
                  + removed
                  + " removed without regeneration; they may still hold the old value"
                  + " (set regenerateOnOwnerRemoved to rotate it)");
    }

    if (!regen.isEmpty() && canGenerate) {
      return b.action(RotationAction.REGENERATE)
          .reasons(regen)
          .addAllReasons(reenc)
          .description(what + ": " + String.join("; ", why))
          .warning(Optional.empty())
          .build();
    }
    if (!regen.isEmpty()) {
      String w =
          what
              + " needs a new value ("
              + String.join("; ", why)
              + ") but has no generator: store a new value by hand";
      warning = Optional.of(warning.map(x -> x + "; " + w).orElse(w));
    }
    if (!reenc.isEmpty()) {
      if (!decryptableByHost && !operatorCanDecrypt) {
        if (canGenerate) {
          List<RotationReason> r = new ArrayList<>(reenc);
          r.add(RotationReason.UNDECRYPTABLE);
          return b.action(RotationAction.REGENERATE)
              .reasons(r)
              .description(
                  what
                      + ": "
                      + String.join("; ", reencWhy)
                      + "; no owner host can decrypt it and no operator identity is configured, so it is generated anew")
              .warning(warning)
              .build();
        }
        String w =
            what
                + " cannot be re-encrypted: no owner host can decrypt it and no operator identity is configured";
        warning = Optional.of(warning.map(x -> x + "; " + w).orElse(w));
      }
      List<RotationReason> r = new ArrayList<>(reenc);
      r.addAll(regen);
      if (!regen.isEmpty()) {
        r.add(RotationReason.NO_GENERATOR);
      }
      return b.action(RotationAction.REENCRYPT)
          .reasons(r)
          .description(what + ": " + String.join("; ", reencWhy))
          .warning(warning)
          .build();
    }
    if (!regen.isEmpty()) {
      List<RotationReason> r = new ArrayList<>(regen);
      r.add(RotationReason.NO_GENERATOR);
      return b.action(RotationAction.UNCHANGED)
          .reasons(r)
          .description(what + ": " + String.join("; ", why) + ", but it has no generator")
          .warning(warning)
          .build();
    }
    return b.action(RotationAction.UNCHANGED)
        .addReasons(RotationReason.UP_TO_DATE)
        .description(what + " is up to date")
        .warning(warning)
        .build();
  }

  private Optional<String> tag(String host) {
    return tags.computeIfAbsent(host, h -> data.hostKey(h).flatMap(AgeStanzas::tagOf));
  }
}
