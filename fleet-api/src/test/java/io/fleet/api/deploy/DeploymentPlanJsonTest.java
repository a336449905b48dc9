package io.fleet.api.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.spi.StorePathInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link DeploymentPlan}'s JSON round trip, summary and compact {@code toString()}. */
class DeploymentPlanJsonTest {
  private static final String LIB = "/nix/store/" + "a".repeat(32) + "-glibc-2.38";

  private static String system(String host) {
    char c = "bcdfghijklmnpqrs".charAt(host.charAt(host.length() - 1) - '0');
    return "/nix/store/" + String.valueOf(c).repeat(32) + "-nixos-system-" + host;
  }

  /** A plan for {@code n} hosts web-1.., each with its own system over one shared library. */
  static DeploymentPlan plan(int n) {
    DeploymentPlan.Builder b =
        DeploymentPlan.builder().id("deploy-test-1").action(DeployAction.SWITCH);
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      String name = "web-" + i;
      names.add(name);
      b.addHosts(Host.builder().name(name).tags("web").build());
      b.putSystems(name, system(name));
      List<StorePathInfo> closure = new ArrayList<>();
      closure.add(StorePathInfo.builder().path(LIB).narSize(30L << 20).build());
      for (int k = 0; k < 40; k++) {
        closure.add(
            StorePathInfo.builder()
                .path("/nix/store/" + "c".repeat(31) + (char) ('a' + k % 20) + "-unit-" + k)
                .narSize(4096)
                .addReferences(LIB)
                .build());
      }
      closure.add(
          StorePathInfo.builder().path(system(name)).narSize(1 << 20).addReferences(LIB).build());
      b.putClosures(system(name), closure);
    }
    b.addBatches(List.of(names.get(0)));
    if (n > 1) {
      b.addBatches(List.copyOf(names.subList(1, n)));
    }
    return b.keepGoing(true)
        .rollbackWindow(Duration.ofMinutes(3))
        .addHealthChecks(HealthCheck.http("http://{host}:8080/health"))
        .addHealthChecks(
            HealthCheck.builder()
                .command(List.of("systemctl", "is-system-running"))
                .attempts(3)
                .build())
        .build();
  }

  @Test
  void roundTripsThroughJson() {
    DeploymentPlan plan = plan(2);
    String json = plan.toJson();
    assertThat(json).contains("\"id\" : \"deploy-test-1\"").contains("\"action\" : \"SWITCH\"");
    assertThat(json).doesNotContain("hostsByName");
    DeploymentPlan back = DeploymentPlan.fromJson(json);
    assertThat(back).isEqualTo(plan);
    assertThat(back.toJson()).isEqualTo(json);
    assertThat(back.closureOf("web-2")).hasSize(42);
    assertThat(back.host("web-1").tags()).containsExactly("all", "web");
  }

  @Test
  void fromJsonRefusesBrokenAndInvalidPlans() {
    assertThatThrownBy(() -> DeploymentPlan.fromJson("{\"id\": "))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("DeploymentPlan JSON");
    String noBatch = plan(2).toJson().replace("\"web-1\" ]", "\"web-9\" ]");
    assertThatThrownBy(() -> DeploymentPlan.fromJson(noBatch))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("which is not a host of the plan");
    assertThatThrownBy(() -> DeploymentPlan.fromJson("{\"id\": \"x\"}"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("action");
  }

  @Test
  void toStringIsOneShortLine() {
    DeploymentPlan plan = plan(8);
    String s = plan.toString();
    assertThat(s)
        .isEqualTo(
            "DeploymentPlan{deploy-test-1, SWITCH, 8 hosts [web-1, web-2, web-3, web-4, web-5, … 3"
                + " more], 2 batches, 8 systems, 49 paths}");
    assertThat(s).doesNotContain("/nix/store").hasSizeLessThan(200);
  }

  @Test
  void summaryDescribesThePlan() {
    String summary = plan(2).summary();
    assertThat(summary)
        .startsWith(
            "deployment deploy-test-1: SWITCH on 2 hosts in 2 batches, parallelism 10, keep going"
                + " after a failure, rollback window PT3M")
        .contains("\n  batch 1 (canary): web-1\n  batch 2: web-2")
        .contains("\n  web-1: " + system("web-1") + " (42 paths, 31.2 MiB)")
        .contains("\n  health check: http://{host}:8080/health")
        .contains("\n  health check: systemctl is-system-running (3 attempts, PT2S)");
    assertThat(plan(1).summary()).contains("in 1 batch,").contains("batch 1: web-1");
  }

  @Test
  void reportsAndPlansUseTheSameMapper() {
    // The JSON of a plan parses as a tree whose keys are those of the value's attributes.
    @SuppressWarnings("unchecked")
    Map<String, Object> tree = io.fleet.api.FleetJson.fromJson(plan(1).toJson(), Map.class);
    assertThat(tree.keySet())
        .contains("id", "action", "hosts", "systems", "closures", "batches", "healthChecks");
  }
}
