package io.fleet.transport;

import static io.fleet.testkit.FleetAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.deploy.DeployStep;
import io.fleet.api.deploy.DeploymentEvent;
import io.fleet.api.deploy.DeploymentListener;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FleetPolicyTest {
  @RegisterExtension final FakeFleet fake = FakeFleet.of(DeployerTest.fleet(5));

  Deployer deployer(DeploymentListener listener) {
    return Deployer.builder()
        .transport(fake.transport())
        .evaluator(fake.evaluator())
        .clock(fake.clock(), fake.clock()::sleep)
        .listener(listener)
        .build();
  }

  private void assertUntouched(String... hosts) {
    for (String h : hosts) {
      assertThat(fake.host(h).commands()).as(h + " got no command").isEmpty();
      assertThat(fake.host(h)).isOnGeneration(1).isRunning(fake.initialSystem(h));
    }
  }

  private void assertOnNew(String... hosts) {
    for (String h : hosts) {
      assertThat(fake.host(h))
          .isOnGeneration(2)
          .isRunning(fake.newSystem(h))
          .hasNoRollbackMarker()
          .wasNotRolledBack();
    }
  }

  private void assertBack(String... hosts) {
    for (String h : hosts) {
      assertThat(fake.host(h))
          .rolledBack()
          .isOnGeneration(1)
          .isRunning(fake.initialSystem(h))
          .hasNoRollbackMarker();
    }
  }

  @Test
  void aFailedCanaryStopsTheRest() {
    fake.host("web-1").failNextActivation();
    Deployer d = deployer(DeploymentListener.NONE);
    // keepGoing does not override the canary: a failed canary batch always stops the rest
    DeploymentReport r =
        d.execute(d.plan(fake.fleet()).canary(1).batchSize(2).keepGoing(true).build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.ROLLED_BACK)
        .failedAt("web-1", DeployStep.ACTIVATE)
        .hasOutcome("web-2", HostOutcome.SKIPPED)
        .hasOutcome("web-5", HostOutcome.SKIPPED);
    assertBack("web-1");
    assertUntouched("web-2", "web-3", "web-4", "web-5");
  }

  @Test
  void aHealthyCanaryLetsTheBatchesRun() {
    Deployer d = deployer(DeploymentListener.NONE);
    DeploymentReport r = d.execute(d.plan(fake.fleet()).canary(1).batchSize(2).build());
    assertThat(r).isSuccessful();
    assertOnNew("web-1", "web-2", "web-3", "web-4", "web-5");
  }

  @Test
  void stopOnFirstFailureStartsNoNewHost() {
    fake.host("web-2").failNextActivation();
    Deployer d = deployer(DeploymentListener.NONE);
    DeploymentReport r = d.execute(d.plan(fake.fleet()).parallelism(1).build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.CONFIRMED)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .hasOutcome("web-3", HostOutcome.SKIPPED)
        .hasOutcome("web-4", HostOutcome.SKIPPED)
        .hasOutcome("web-5", HostOutcome.SKIPPED);
    assertOnNew("web-1");
    assertBack("web-2");
    assertUntouched("web-3", "web-4", "web-5");
  }

  @Test
  void keepGoingFinishesTheOthers() {
    fake.host("web-2").failNextActivation();
    fake.host("web-4").kill();
    Deployer d = deployer(DeploymentListener.NONE);
    DeploymentReport r = d.execute(d.plan(fake.fleet()).parallelism(2).keepGoing(true).build());
    assertThat(r)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .hasOutcome("web-4", HostOutcome.FAILED)
        .failedAt("web-4", DeployStep.PREFLIGHT);
    assertOnNew("web-1", "web-3", "web-5");
    assertBack("web-2");
    assertThat(r.isSuccess()).isFalse();
  }

  @Test
  void optInRollbackOfHostsThatAlreadySucceeded() {
    fake.host("web-3").failNextActivation();
    Deployer d = deployer(DeploymentListener.NONE);
    DeploymentReport r =
        d.execute(d.plan(fake.fleet()).parallelism(1).rollbackSucceededOnFailure(true).build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.REVERTED)
        .hasOutcome("web-2", HostOutcome.REVERTED)
        .hasOutcome("web-3", HostOutcome.ROLLED_BACK)
        .hasOutcome("web-4", HostOutcome.SKIPPED)
        .hasErrorContaining("web-1", "web-3");
    assertBack("web-1", "web-2", "web-3");
    assertThat(fake.host("web-1")).rolledBackBy("revert");
    assertUntouched("web-4", "web-5");
  }

  @Test
  void withoutTheOptInSucceededHostsStay() {
    fake.host("web-3").failNextActivation();
    Deployer d = deployer(DeploymentListener.NONE);
    DeploymentReport r = d.execute(d.plan(fake.fleet()).parallelism(1).build());
    assertThat(r).hasOutcome("web-1", HostOutcome.CONFIRMED);
    assertOnNew("web-1", "web-2");
  }

  @Test
  void interruptingTheCallerCancelsPartWay() throws Exception {
    Thread caller = Thread.currentThread();
    CountDownLatch noticed = new CountDownLatch(1);
    AtomicInteger eventsAfterCancel = new AtomicInteger();
    DeploymentListener listener =
        e -> {
          if (e.kind() == DeploymentEvent.Kind.CANCELLED) {
            noticed.countDown();
          } else if (noticed.getCount() == 0) {
            eventsAfterCancel.incrementAndGet();
          }
          // web-2 has armed its rollback: interrupt the caller and wait until it has noticed
          if (e.host().equals("web-2")
              && e.kind() == DeploymentEvent.Kind.STEP_FINISHED
              && e.step().orElse(null) == DeployStep.ARM) {
            caller.interrupt();
            try {
              assertThat(noticed.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
            }
          }
        };
    Deployer d = deployer(listener);
    DeploymentReport r = d.execute(d.plan(fake.fleet()).parallelism(1).build());
    assertThat(Thread.interrupted()).as("execute sets the interrupt flag again").isTrue();

    assertThat(r)
        .wasCancelled()
        .hasOutcome("web-1", HostOutcome.CONFIRMED)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .hasErrorContaining("web-2", "cancelled")
        .hasOutcome("web-3", HostOutcome.CANCELLED)
        .hasOutcome("web-5", HostOutcome.CANCELLED);
    assertOnNew("web-1");
    assertBack("web-2");
    assertUntouched("web-3", "web-4", "web-5");
    for (FakeHost h : fake.hosts()) {
      assertThat(h).hasNoRollbackMarker();
    }
  }

  @Test
  void aHostThatOutlivesItsTimeoutIsRolledBackAndTheOthersAreNotHeldUp() {
    fake.host("web-2")
        .onCommand(
            (h, c) -> {
              if (c.argv().get(0).equals("slow-check")) {
                fake.clock().advance(java.time.Duration.ofMinutes(3));
                return java.util.Optional.of(io.fleet.api.spi.CommandResult.of(0, "", ""));
              }
              return java.util.Optional.empty();
            });
    fake.host("web-1")
        .onCommand(
            (h, c) ->
                c.argv().get(0).equals("slow-check")
                    ? java.util.Optional.of(io.fleet.api.spi.CommandResult.of(0, "", ""))
                    : java.util.Optional.empty());
    Deployer d = deployer(DeploymentListener.NONE);
    DeploymentReport r =
        d.execute(
            d.plan(fake.fleet())
                .select("web-1", "web-2")
                .parallelism(1)
                .keepGoing(true)
                .hostTimeout(java.time.Duration.ofMinutes(2))
                .healthCheck(io.fleet.api.deploy.HealthCheck.command("slow-check"))
                .build());
    assertThat(r)
        .hasOutcome("web-1", HostOutcome.CONFIRMED)
        .hasOutcome("web-2", HostOutcome.ROLLED_BACK)
        .failedAt("web-2", DeployStep.CHECK)
        .hasErrorContaining("web-2", "host timeout");
    assertBack("web-2");
  }
}
