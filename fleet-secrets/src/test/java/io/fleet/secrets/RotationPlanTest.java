package io.fleet.secrets;

import static io.fleet.secrets.RotationAction.GENERATE;
import static io.fleet.secrets.RotationAction.REENCRYPT;
import static io.fleet.secrets.RotationAction.REGENERATE;
import static io.fleet.secrets.RotationAction.REMOVE;
import static io.fleet.secrets.RotationAction.UNCHANGED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Generators;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.FleetData;
import io.fleet.secrets.internal.RotationPlanner;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RotationPlanTest {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static final Instant EARLIER = NOW.minus(Duration.ofDays(30));
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  final PlanFixtures f = new PlanFixtures("a", "b", "c");

  /** A fleet of hosts a, b, c with one shared secret {@code s} configured by {@code spec}. */
  static Fleet fleetWith(Consumer<SecretSpec.Builder> spec) {
    return Fleet.builder()
        .host("a", h -> {})
        .host("b", h -> {})
        .host("c", h -> {})
        .sharedSecret(
            "s",
            b -> {
              b.generator(Generators.password());
              spec.accept(b);
            })
        .build()
        .validate();
  }

  RotationStep planOne(Fleet fleet, FleetData data) {
    RotationPlan plan = SecretRotation.plan(fleet, data, NOW);
    return plan.shared("s").orElseThrow();
  }

  @Test
  void missingSecretIsGenerated() {
    RotationStep s = planOne(fleetWith(b -> b.expectedOwners("a", "b")), f.dataWithKeys());
    assertThat(s.action()).isEqualTo(GENERATE);
    assertThat(s.reasons()).containsExactly(RotationReason.MISSING);
    assertThat(s.ownersAfter()).containsExactly("a", "b");
  }

  @Test
  void missingSecretWithoutGeneratorIsAWarningNotAGeneration() {
    Fleet fleet =
        Fleet.builder().host("a", h -> {}).sharedSecret("s", b -> b.expectedOwners("a")).build();
    RotationStep s = planOne(fleet, f.dataWithKeys());
    assertThat(s.action()).isEqualTo(UNCHANGED);
    assertThat(s.reasons()).contains(RotationReason.NO_GENERATOR);
    assertThat(s.warning()).hasValueSatisfying(w -> assertThat(w).contains("by hand"));
  }

  @Test
  void currentSecretIsUnchanged() {
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "s", PlanFixtures.shared(f.secret(EARLIER, null, null, "a", "b"), "a", "b"));
    RotationStep s = planOne(fleetWith(b -> b.expectedOwners("a", "b")), d);
    assertThat(s.action()).isEqualTo(UNCHANGED);
    assertThat(s.reasons()).containsExactly(RotationReason.UP_TO_DATE);
    assertThat(s.warning()).isEmpty();
  }

  @Test
  void expiredSecretIsRegenerated() {
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "s", PlanFixtures.shared(f.secret(EARLIER, NOW.minusSeconds(1), null, "a"), "a"));
    RotationStep s = planOne(fleetWith(b -> b.expectedOwners("a")), d);
    assertThat(s.action()).isEqualTo(REGENERATE);
    assertThat(s.reasons()).containsExactly(RotationReason.EXPIRED);
    // Expiring exactly now counts as expired.
    d = d.withSharedSecret("s", PlanFixtures.shared(f.secret(EARLIER, NOW, null, "a"), "a"));
    assertThat(planOne(fleetWith(b -> b.expectedOwners("a")), d).reasons())
        .containsExactly(RotationReason.EXPIRED);
  }

  @Test
  void renewalWindowBeforeExpiry() {
    Fleet fleet = fleetWith(b -> b.expectedOwners("a").renewBefore(Duration.ofDays(10)));
    FleetData inside =
        f.dataWithKeys()
            .withSharedSecret(
                "s",
                PlanFixtures.shared(
                    f.secret(EARLIER, NOW.plus(Duration.ofDays(9)), null, "a"), "a"));
    RotationStep s = planOne(fleet, inside);
    assertThat(s.action()).isEqualTo(REGENERATE);
    assertThat(s.reasons()).containsExactly(RotationReason.RENEWAL_DUE);
    assertThat(s.description()).contains("renewal window");

    FleetData edge =
        f.dataWithKeys()
            .withSharedSecret(
                "s",
                PlanFixtures.shared(
                    f.secret(EARLIER, NOW.plus(Duration.ofDays(10)), null, "a"), "a"));
    assertThat(planOne(fleet, edge).action()).isEqualTo(REGENERATE);

    FleetData outside =
        f.dataWithKeys()
            .withSharedSecret(
                "s",
                PlanFixtures.shared(
                    f.secret(EARLIER, NOW.plus(Duration.ofDays(10)).plusSeconds(1), null, "a"),
                    "a"));
    assertThat(planOne(fleet, outside).action()).isEqualTo(UNCHANGED);
    // Without a renewal window, only expiry counts.
    assertThat(planOne(fleetWith(b -> b.expectedOwners("a")), inside).action())
        .isEqualTo(UNCHANGED);
  }

  @Test
  void changedGenerationDataRegenerates() {
    var expected = JSON.objectNode().put("sans", "api.example.org");
    Fleet fleet = fleetWith(b -> b.expectedOwners("a").expectedGenerationData(expected));
    FleetData same =
        f.dataWithKeys()
            .withSharedSecret(
                "s", PlanFixtures.shared(f.secret(EARLIER, null, expected.deepCopy(), "a"), "a"));
    assertThat(planOne(fleet, same).action()).isEqualTo(UNCHANGED);
    FleetData changed =
        f.dataWithKeys()
            .withSharedSecret(
                "s",
                PlanFixtures.shared(
                    f.secret(EARLIER, null, JSON.objectNode().put("sans", "old.example.org"), "a"),
                    "a"));
    RotationStep s = planOne(fleet, changed);
    assertThat(s.action()).isEqualTo(REGENERATE);
    assertThat(s.reasons()).containsExactly(RotationReason.GENERATION_DATA_CHANGED);
    FleetData none =
        f.dataWithKeys()
            .withSharedSecret("s", PlanFixtures.shared(f.secret(EARLIER, null, null, "a"), "a"));
    assertThat(planOne(fleet, none).reasons())
        .containsExactly(RotationReason.GENERATION_DATA_CHANGED);
  }

  @Test
  void ownerAddedRegeneratesOrReencryptsByTheFlag() {
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret("s", PlanFixtures.shared(f.secret(EARLIER, null, null, "a"), "a"));
    RotationStep regen = planOne(fleetWith(b -> b.expectedOwners("a", "b")), d);
    assertThat(regen.action()).isEqualTo(REGENERATE);
    assertThat(regen.reasons()).containsExactly(RotationReason.OWNER_ADDED);
    assertThat(regen.addedOwners()).containsExactly("b");

    RotationStep reenc =
        planOne(fleetWith(b -> b.expectedOwners("a", "b").regenerateOnOwnerAdded(false)), d);
    assertThat(reenc.action()).isEqualTo(REENCRYPT);
    assertThat(reenc.reasons()).containsExactly(RotationReason.OWNERS_CHANGED);
    assertThat(reenc.warning()).isEmpty();
  }

  @Test
  void ownerRemovedRegeneratesOrReencryptsWithAWarning() {
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "s", PlanFixtures.shared(f.secret(EARLIER, null, null, "a", "b"), "a", "b"));
    RotationStep regen = planOne(fleetWith(b -> b.expectedOwners("a")), d);
    assertThat(regen.action()).isEqualTo(REGENERATE);
    assertThat(regen.reasons()).containsExactly(RotationReason.OWNER_REMOVED);
    assertThat(regen.warning()).isEmpty();

    RotationStep reenc =
        planOne(fleetWith(b -> b.expectedOwners("a").regenerateOnOwnerAdded(false)), d);
    assertThat(reenc.action()).isEqualTo(REENCRYPT);
    assertThat(reenc.removedOwners()).containsExactly("b");
    assertThat(reenc.warning())
        .hasValueSatisfying(w -> assertThat(w).contains("[b]").contains("may still hold"));

    RotationStep explicit =
        planOne(
            fleetWith(
                b ->
                    b.expectedOwners("a")
                        .regenerateOnOwnerAdded(false)
                        .regenerateOnOwnerRemoved(true)),
            d);
    assertThat(explicit.action()).isEqualTo(REGENERATE);
  }

  @Test
  void regenerationCascadesToDependentsInDependencyOrder() {
    Fleet fleet =
        Fleet.builder()
            .host(
                "a",
                h ->
                    h.secret(
                        "kubelet", s -> s.dependsOn("apiserver").generator(Generators.password())))
            .host("b", h -> {})
            .sharedSecret(
                "ca",
                s ->
                    s.expectedOwners("a", "b")
                        .generator(Generators.x509Ca("ca", Duration.ofDays(1))))
            .sharedSecret(
                "apiserver",
                s ->
                    s.expectedOwners("a")
                        .dependsOn("ca")
                        .generator(
                            Generators.x509Leaf("ca", "api", List.of("api"), Duration.ofDays(1))))
            .sharedSecret("unrelated", s -> s.expectedOwners("b").generator(Generators.password()))
            .build()
            .validate();
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "ca",
                PlanFixtures.shared(
                    f.secret(EARLIER, NOW.minusSeconds(5), null, "a", "b"), "a", "b"))
            .withSharedSecret(
                "apiserver", PlanFixtures.shared(f.secret(EARLIER, null, null, "a"), "a"))
            .withSharedSecret(
                "unrelated", PlanFixtures.shared(f.secret(EARLIER, null, null, "b"), "b"))
            .withHostSecret("a", "kubelet", f.secret(EARLIER, null, null, "a"));
    RotationPlan plan = SecretRotation.plan(fleet, d, NOW);
    assertThat(plan.shared("ca").orElseThrow().reasons()).containsExactly(RotationReason.EXPIRED);
    RotationStep api = plan.shared("apiserver").orElseThrow();
    assertThat(api.action()).isEqualTo(REGENERATE);
    assertThat(api.reasons()).containsExactly(RotationReason.DEPENDENCY_REGENERATED);
    assertThat(api.description()).contains("shared/ca");
    RotationStep kubelet = plan.hostSecret("a", "kubelet").orElseThrow();
    assertThat(kubelet.action()).isEqualTo(REGENERATE);
    assertThat(kubelet.reasons()).containsExactly(RotationReason.DEPENDENCY_REGENERATED);
    assertThat(plan.shared("unrelated").orElseThrow().action()).isEqualTo(UNCHANGED);
    List<String> order = plan.steps().stream().map(RotationStep::id).collect(Collectors.toList());
    assertThat(order.indexOf("shared/ca")).isLessThan(order.indexOf("shared/apiserver"));
    assertThat(order.indexOf("shared/apiserver")).isLessThan(order.indexOf("host/a/kubelet"));

    // A dependency only re-encrypted does not cascade.
    Fleet.Builder more = Fleet.builder().host("c", h -> {});
    fleet.hosts().values().forEach(more::host);
    fleet.sharedSecrets().values().forEach(more::sharedSecret);
    Fleet moreOwners =
        more.sharedSecret("ca", s -> s.expectedOwners("a", "b", "c").regenerateOnOwnerAdded(false))
            .build();
    FleetData fresh =
        d.withSharedSecret(
            "ca", PlanFixtures.shared(f.secret(EARLIER, null, null, "a", "b"), "a", "b"));
    RotationPlan p2 = SecretRotation.plan(moreOwners, fresh, NOW);
    assertThat(p2.shared("ca").orElseThrow().action()).isEqualTo(REENCRYPT);
    assertThat(p2.shared("apiserver").orElseThrow().action()).isEqualTo(UNCHANGED);
  }

  @Test
  void aDependencyNewerThanTheSecretRegeneratesIt() {
    // As after a rotation interrupted between regenerating the CA and its leaf.
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> {})
            .sharedSecret(
                "ca",
                s -> s.expectedOwners("a").generator(Generators.x509Ca("ca", Duration.ofDays(1))))
            .sharedSecret(
                "leaf",
                s ->
                    s.expectedOwners("a")
                        .dependsOn("ca")
                        .generator(Generators.x509Leaf("ca", "x", List.of(), Duration.ofDays(1))))
            .build();
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "ca", PlanFixtures.shared(f.secret(NOW.minusSeconds(60), null, null, "a"), "a"))
            .withSharedSecret("leaf", PlanFixtures.shared(f.secret(EARLIER, null, null, "a"), "a"));
    RotationPlan plan = SecretRotation.plan(fleet, d, NOW);
    assertThat(plan.shared("ca").orElseThrow().action()).isEqualTo(UNCHANGED);
    assertThat(plan.shared("leaf").orElseThrow().reasons())
        .containsExactly(RotationReason.DEPENDENCY_REGENERATED);
  }

  @Test
  void changedHostKeyReencryptsWhereAnotherOwnerCanDecrypt() {
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "s", PlanFixtures.shared(f.secret(EARLIER, null, null, "a", "b"), "a", "b"))
            .withHostKey("a", TestKeys.generate().recipient);
    RotationStep s = planOne(fleetWith(b -> b.expectedOwners("a", "b")), d);
    assertThat(s.action()).isEqualTo(REENCRYPT);
    assertThat(s.reasons()).containsExactly(RotationReason.HOST_KEY_CHANGED);
    assertThat(s.description()).contains("[a]");
  }

  @Test
  void changedHostKeyOfTheOnlyOwnerRegeneratesUnlessAnOperatorCanDecrypt() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> h.secret("ssh", s -> s.generator(Generators.ed25519())))
            .build();
    FleetData d =
        f.dataWithKeys()
            .withHostSecret("a", "ssh", f.secret(EARLIER, null, null, "a"))
            .withHostKey("a", TestKeys.generate().recipient);
    RotationStep s = SecretRotation.plan(fleet, d, NOW).hostSecret("a", "ssh").orElseThrow();
    assertThat(s.action()).isEqualTo(REGENERATE);
    assertThat(s.reasons())
        .containsExactly(RotationReason.HOST_KEY_CHANGED, RotationReason.UNDECRYPTABLE);
    RotationStep withOperator =
        new RotationPlanner(fleet, d, NOW, true).plan().hostSecret("a", "ssh").orElseThrow();
    assertThat(withOperator.action()).isEqualTo(REENCRYPT);
  }

  @Test
  void undeclaredSecretsAreRemoved() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> h.secret("kept", s -> s.generator(Generators.password())))
            .build();
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret("old", PlanFixtures.shared(f.secret(EARLIER, null, null, "a"), "a"))
            .withHostSecret("a", "kept", f.secret(EARLIER, null, null, "a"))
            .withHostSecret("a", "dropped", f.secret(EARLIER, null, null, "a"))
            .withHostSecret("gone", "x", f.secret(EARLIER, null, null, "b"));
    RotationPlan plan = SecretRotation.plan(fleet, d, NOW);
    assertThat(plan.shared("old").orElseThrow().action()).isEqualTo(REMOVE);
    assertThat(plan.hostSecret("a", "dropped").orElseThrow().action()).isEqualTo(REMOVE);
    RotationStep gone = plan.hostSecret("gone", "x").orElseThrow();
    assertThat(gone.action()).isEqualTo(REMOVE);
    assertThat(gone.reasons()).containsExactly(RotationReason.NOT_DECLARED);
    assertThat(gone.description()).contains("no longer in the fleet");
    assertThat(plan.hostSecret("a", "kept").orElseThrow().action()).isEqualTo(UNCHANGED);
    assertThat(plan.counts()).containsEntry(REMOVE, 3).containsEntry(UNCHANGED, 1);
  }

  @Test
  void planIsJsonSerialisable() {
    FleetData d =
        f.dataWithKeys()
            .withSharedSecret(
                "s", PlanFixtures.shared(f.secret(EARLIER, null, null, "a", "b"), "a", "b"))
            .withSharedSecret("old", PlanFixtures.shared(f.secret(EARLIER, null, null, "a"), "a"));
    RotationPlan plan =
        SecretRotation.plan(
            fleetWith(b -> b.expectedOwners("a").regenerateOnOwnerAdded(false)), d, NOW);
    String json = plan.toJson();
    assertThat(json)
        .contains("\"action\" : \"REENCRYPT\"")
        .contains("OWNERS_CHANGED")
        .contains("NOT_DECLARED");
    assertThat(RotationPlan.fromJson(json)).isEqualTo(plan);
    assertThat(plan.toString()).contains("REENCRYPT=1").contains("REMOVE=1");
  }

  @Test
  void cyclicOrMissingDependenciesAreConfigErrors() {
    Fleet missing =
        Fleet.builder()
            .host("a", h -> {})
            .sharedSecret(
                "s", s -> s.expectedOwners("a").dependsOn("nope").generator(Generators.password()))
            .build();
    assertThatThrownBy(() -> SecretRotation.plan(missing, FleetData.empty(), NOW))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nope");
    Fleet cycle =
        Fleet.builder()
            .host("a", h -> {})
            .sharedSecret(
                "x", s -> s.expectedOwners("a").dependsOn("y").generator(Generators.password()))
            .sharedSecret(
                "y", s -> s.expectedOwners("a").dependsOn("x").generator(Generators.password()))
            .build();
    assertThatThrownBy(() -> SecretRotation.plan(cycle, FleetData.empty(), NOW))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("cycle");
  }
}
