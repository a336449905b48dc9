package io.fleet.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.deploy.DeployAction;
import io.fleet.api.deploy.DeploymentReport;
import io.fleet.api.deploy.HealthCheck;
import io.fleet.api.deploy.HostOutcome;
import io.fleet.api.spi.CommandResult;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeFleet;
import io.fleet.testkit.FakeHost;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Names and paths full of shell syntax reach the fake host as the exact argument. The fake
 * transport sends each command as the one line of shell text {@code Shell.join} makes and the host
 * parses it back with a strict POSIX word parser, so a quoting bug would fail here.
 */
class ArgumentQuotingProperties {
  @Provide
  Arbitrary<String> nasty() {
    return Arbitraries.strings()
        .withChars(" '\"$;`\n\t\\*?[]{}()&|<>~#!%=,.:/-_")
        .withCharRange('a', 'z')
        .withCharRange('\u00e0', '\u00ff')
        .ofMinLength(1)
        .ofMaxLength(24);
  }

  /** Names a valid fleet accepts for hosts and tags (a fleet with others is refused up front). */
  @Provide
  Arbitrary<String> name() {
    return Arbitraries.strings()
        .withCharRange('a', 'z')
        .withCharRange('0', '9')
        .withChars("-_")
        .ofMinLength(1)
        .ofMaxLength(24)
        .filter(n -> Character.isLetterOrDigit(n.charAt(0)));
  }

  @Property(tries = 60)
  void hostNamesTagsPathsAndSecretNamesArriveExactly(
      @ForAll("name") String host,
      @ForAll("name") String tag,
      @ForAll("nasty") String word,
      @ForAll("nasty") String path,
      @ForAll("nasty") String secret) {
    Fleet fleet = Fleet.builder().host(host, h -> h.tags(tag)).build();
    List<List<String>> seen = new CopyOnWriteArrayList<>();
    try (FakeFleet fake =
        FakeFleet.builder()
            .fleet(fleet)
            .handler(
                (h, c) -> {
                  if (c.argv().get(0).equals("check-secret")) {
                    seen.add(c.argv());
                    return Optional.of(CommandResult.of(0, "", ""));
                  }
                  return Optional.empty();
                })
            .build()) {
      Deployer d =
          Deployer.builder()
              .transport(fake.transport())
              .evaluator(fake.evaluator())
              .clock(fake.clock(), fake.clock()::sleep)
              .build();
      DeploymentReport r =
          d.execute(
              d.plan(fleet)
                  .action(DeployAction.SWITCH)
                  .healthCheck(HealthCheck.command("check-secret", host, tag, word, path, secret))
                  .build());
      assertThat(r.host(host).outcome()).isEqualTo(HostOutcome.CONFIRMED);
      assertThat(seen).containsExactly(List.of("check-secret", host, tag, word, path, secret));
      FakeHost fh = fake.host(host);
      assertThat(fh.unsupportedCommands()).isEmpty();
      // the system path reached the activation argv exactly
      assertThat(fh.commands())
          .filteredOn(c -> c.op() == FakeHost.Op.ACTIVATE)
          .extracting(FakeCommand::argv)
          .allMatch(a -> a.get(6).equals(fake.newSystem(host) + "/bin/switch-to-configuration"));
    }
  }

  @Property(tries = 100)
  void aSystemPathThatIsNotAStorePathIsRefusedBeforeAnyCommand(@ForAll("nasty") String junk) {
    Fleet fleet = Fleet.builder().host("web-1", h -> {}).build();
    try (FakeFleet fake = FakeFleet.of(fleet)) {
      Deployer d =
          Deployer.builder().transport(fake.transport()).evaluator(fake.evaluator()).build();
      String path = "/nix/store/" + "a".repeat(32) + "-" + junk;
      if (junk.matches("[A-Za-z0-9+\\-._?=]+")) {
        return; // a valid store path name; covered by the property above
      }
      assertThatThrownBy(() -> d.plan(fleet).system("web-1", path).build())
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("is not a Nix store path");
      assertThat(fake.host("web-1").commands()).isEmpty();
    }
  }
}
