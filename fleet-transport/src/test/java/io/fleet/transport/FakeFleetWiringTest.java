package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.testkit.FakeFleet;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code FakeFleet.deployer()}: a Deployer wired to the fake hosts through the ComponentWiring SPI,
 * HTTP health checks against fake endpoints, real HTTP failures that say why, and plans that
 * validate the fleet first.
 */
class FakeFleetWiringTest {
  static Fleet fleet() {
    return Fleet.builder()
        .name("shop")
        .host("web-1", h -> h.tags("web"))
        .host("web-2", h -> h.tags("web"))
        .host("db-1", h -> h.tags("db"))
        .build();
  }

  @RegisterExtension final FakeFleet fake = FakeFleet.of(fleet());

  @Test
  void deployerComesReadyWiredAndSaysWhatItIs() {
    Deployer d = fake.deployer();
    assertThat(d.toString())
        .startsWith("Deployer{transport FakeTransport{3 fake hosts}, evaluator FakeEvaluator{");
    DeploymentReport r = d.execute(d.plan(fake.fleet()).select("@web").canary(1).build());
    assertThat(r).isSuccessful().allHostsEnded(HostOutcome.CONFIRMED);
    assertThat(fake.host("web-1")).wasConfirmed().isOnNewSystem();
    assertThat(fake.host("db-1")).wasNotConfirmed().isOnInitialSystem();
    assertThat(fake).hasOnNewSystemExactly("web-1", "web-2").hasNoRollbackMarkers();
    // the virtual clock is the deployer's: timings are on it
    assertThat(r.startedAt()).isEqualTo(fake.clock().instant().minus(r.duration()));
    assertThat(fake.wired(Deployer.class)).isNotSameAs(d);
  }

  @Test
  void wholeFleetAssertionAfterAFullDeployment() {
    Deployer d = fake.deployer();
    assertThat(d.execute(d.plan(fake.fleet()).build())).isSuccessful();
    assertThat(fake).allOnNewSystem().allConfirmed().receivedOnlyKnownCommands();
  }

  @Test
  void httpHealthChecksPassAndFailOnFakeEndpoints() {
    fake.host("web-1").httpEndpoint("/health", 200);
    fake.host("web-2").httpEndpoint("/health", h -> h.generation() >= 2 ? 500 : 200);
    Deployer d = fake.deployer();
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("@web")
                .keepGoing(true)
                .healthCheck(HealthCheck.http("http://{host}:8080/health"))
                .build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.CONFIRMED)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .failedAt("web-2", DeployStep.CHECK)
        .hasErrorContaining("web-2", "GET http://web-2:8080/health: answered HTTP 500");
    assertThat(fake.host("web-1")).wasConfirmed().isOnNewSystem();
    assertThat(fake.host("web-2")).rolledBackBy("deployer").isOnInitialSystem();
    assertThat(fake).hasRolledBackExactly("web-2");
  }

  @Test
  void unhealthyNewSystemsFailHttpChecksToo() {
    fake.host("web-1").httpEndpoint("/health", 200).failHealthChecksOfNewSystems();
    Deployer d = fake.deployer();
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1")
                .healthCheck(HealthCheck.http("http://{host}/health"))
                .build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.ROLLED_BACK)
        .hasErrorContaining("web-1", "answered HTTP 503");
    assertThat(fake.host("web-1")).isOnInitialSystem().wasNotConfirmed();
    // back on the old system, the endpoint is healthy again
    assertThat(fake.httpProblem(java.net.URI.create("http://web-1/health"), Duration.ofSeconds(1)))
        .isEmpty();
  }

  @Test
  void aMissingFakeEndpointSaysHowToDeclareIt() {
    Deployer d = fake.deployer();
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("db-1")
                .healthCheck(HealthCheck.http("http://{host}/ready"))
                .build());
    assertThat(r)
        .hasOutcome("db-1", HostOutcome.ROLLED_BACK)
        .hasErrorContaining("db-1", "answered HTTP 404: fake host db-1 serves no /ready")
        .hasErrorContaining("db-1", "host.httpEndpoint(path, status)");
  }

  /** A deployer with the JDK's HTTP client: real failures name their cause. */
  @Test
  void realHttpFailuresSayTheCause() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Fleet fleet =
        Fleet.builder()
            .host("web-1", h -> h.target("root@127.0.0.1"))
            .host("web-2", h -> h.target("root@no-such-host.invalid"))
            .build();
    try (FakeFleet local = FakeFleet.of(fleet)) {
      Deployer d =
          Deployer.builder()
              .transport(local.transport())
              .evaluator(local.evaluator())
              .clock(local.clock(), local.clock()::sleep)
              .build();
      HealthCheck check =
          HealthCheck.builder()
              .url("http://{host}:" + closedPort + "/health")
              .timeout(Duration.ofSeconds(5))
              .build();
      DeploymentReport r = d.execute(d.plan(fleet).keepGoing(true).healthCheck(check).build());
      assertThat(r)
          .hasOutcome("web-1", HostOutcome.ROLLED_BACK)
          .hasErrorContaining(
              "web-1", "connection refused by 127.0.0.1:" + closedPort + ": nothing listens there")
          .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
          .hasErrorContaining("web-2", "unknown host no-such-host.invalid");
    }
  }

  @Test
  void planValidatesTheFleetFirst() {
    Fleet bad = fake.fleet().toBuilder().sharedSecret("db", s -> s.expectedOwners("db-9")).build();
    Deployer d = fake.deployer();
    assertThatThrownBy(() -> d.plan(bad))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("names owner 'db-9', which is not a host of the fleet");
    assertThatThrownBy(() -> d.plan(null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("needs a fleet");
  }

  @Test
  void selectingATagByNameSuggestsIt() {
    Deployer d = fake.deployer();
    assertThatThrownBy(() -> d.plan(fake.fleet()).select("web").build())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("@web would choose the hosts with that tag");
  }

  @Test
  void failNextActivationExitsAsDocumented() {
    fake.host("web-1").failNextActivation();
    Deployer d = fake.deployer();
    DeploymentReport r = d.execute(d.plan(fake.fleet()).select("web-1").build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.ROLLED_BACK)
        .hasErrorContaining("web-1", "failed (exit 4)");
    assertThat(r.host("web-1").error().orElseThrow()).contains("broken.service");
  }
}
