package io.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FleetValidationTest {

  /** A valid base to break: hosts a, b, c. */
  private static Fleet.Builder base() {
    return Fleet.builder().host("a", h -> {}).host("b", h -> {}).host("c", h -> {});
  }

  /** The single problem {@code fleet} has, checked to be exactly one. */
  private static String onlyProblem(Fleet.Builder fleet) {
    Fleet f = fleet.build();
    List<String> problems = f.problems();
    assertThat(problems).hasSize(1);
    assertThatThrownBy(f::validate)
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("is invalid (1 problem):")
        .hasMessageContaining(problems.get(0));
    return problems.get(0);
  }

  @Test
  void aValidFleetHasNoProblems() {
    Fleet f =
        base()
            .sharedSecret(
                "ca",
                s ->
                    s.expectedOwners("a", "b")
                        .generator(Generators.x509Ca("ca", Duration.ofDays(1))))
            .sharedSecret(
                "leaf",
                s ->
                    s.expectedOwners("a")
                        .dependsOn("ca")
                        .generator(
                            Generators.x509Leaf("ca", "a", List.of("a"), Duration.ofDays(1))))
            .host("a", h -> h.secret("own", s -> s.dependsOn("ca")))
            .build();
    assertThat(f.problems()).isEmpty();
    assertThat(f.validate()).isSameAs(f);
  }

  @Test
  void unknownOwner() {
    assertThat(onlyProblem(base().sharedSecret("k", s -> s.expectedOwners("a", "zed"))))
        .isEqualTo(
            "shared secret 'k' names owner 'zed', which is not a host of the fleet: declare the host or remove the owner");
  }

  @Test
  void sharedSecretWithNoOwners() {
    assertThat(onlyProblem(base().sharedSecret("k", s -> {})))
        .isEqualTo("shared secret 'k' has no owners: set expectedOwners");
  }

  @Test
  void duplicateNameOfAHostSecretAndASharedSecretTheHostOwns() {
    assertThat(
            onlyProblem(
                base()
                    .sharedSecret("tls", s -> s.expectedOwners("a", "b"))
                    .host("b", h -> h.secret("tls", s -> {}))))
        .isEqualTo(
            "duplicate secret name 'tls' on host 'b': it is both a host secret and a shared secret the host owns; rename one");
  }

  @Test
  void duplicateHostNamesDifferingOnlyInCase() {
    assertThat(onlyProblem(base().host("A", h -> {})))
        .isEqualTo(
            "duplicate host names 'A' and 'a': host names are compared without case (DNS, file names); rename one");
  }

  @Test
  void hostRenamedInsideItsSpec() {
    assertThat(onlyProblem(base().host("d", h -> h.name("e"))))
        .startsWith("host 'd' is stored under a different name 'e'")
        .contains("declare a host of that name instead");
  }

  @ParameterizedTest
  @ValueSource(strings = {"web;reboot", "a b", "a\nb", "$(id)", "-rf", "web.example", "", "x/y"})
  void invalidHostNames(String name) {
    String problem = onlyProblem(base().host(name, h -> {}));
    assertThat(problem)
        .isEqualTo(
            "host name "
                + Names.quote(name)
                + " is invalid: use letters, digits, '-' and '_', at most 63, starting with a letter or digit");
    assertThat(problem).doesNotContain("\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"x;y", "x`id`", "x\n", ".hidden", "a/b", "a b", "$x"})
  void invalidSecretNames(String name) {
    assertThat(onlyProblem(base().sharedSecret(name, s -> s.expectedOwners("a"))))
        .isEqualTo(
            "shared secret "
                + Names.quote(name)
                + ": the name is invalid: use letters, digits and '.', '_', '+', '@', '-', not starting with '.'");
    assertThat(onlyProblem(base().host("a", h -> h.secret(name, s -> {}))))
        .startsWith("host 'a' secret " + Names.quote(name) + ": the name is invalid");
  }

  @ParameterizedTest
  @ValueSource(strings = {"cp;ls", "a b", "x\ny", "@cp", "*"})
  void invalidTags(String tag) {
    assertThat(onlyProblem(base().host("a", h -> h.tags(tag))))
        .isEqualTo(
            "host 'a': tag " + Names.quote(tag) + " is invalid: use letters, digits, '-' and '_'");
  }

  @Test
  void invalidDeployTargets() {
    assertThat(
            onlyProblem(
                base()
                    .host(
                        "a",
                        h -> h.target(DeployTarget.builder().address("-oProxyCommand").build()))))
        .isEqualTo(
            "host 'a': deploy address '-oProxyCommand' is not a host name or IP address: give a DNS name, IPv4 or IPv6 address");
    assertThat(
            onlyProblem(
                base().host("a", h -> h.target(DeployTarget.builder().address("a b").build()))))
        .contains("deploy address 'a b' is not a host name or IP address");
    assertThat(
            onlyProblem(
                base()
                    .host(
                        "a",
                        h -> h.target(DeployTarget.builder().address("x").user("Ro;ot").build()))))
        .isEqualTo(
            "host 'a': deploy user 'Ro;ot' is not a valid user name: use lower-case letters, digits, '_', '.' and '-'");
    assertThat(
            onlyProblem(
                base()
                    .host("a", h -> h.target(DeployTarget.builder().address("x").port(0).build()))))
        .isEqualTo("host 'a': deploy port 0 is not in 1..65535");
    assertThat(
            onlyProblem(
                base()
                    .host(
                        "a",
                        h ->
                            h.target(
                                DeployTarget.builder()
                                    .address("x")
                                    .jumpHost(DeployTarget.builder().address("j;k").build())
                                    .build()))))
        .contains("deploy address 'j;k'");
  }

  @Test
  void invalidSystem() {
    assertThat(onlyProblem(base().host("a", h -> h.system("x86_64 linux"))))
        .isEqualTo(
            "host 'a': system 'x86_64 linux' is not of the form arch-os, such as x86_64-linux");
  }

  @Test
  void invalidSystemPath() {
    assertThat(onlyProblem(base().host("a", h -> h.systemPath("/tmp/system; rm -rf /"))))
        .contains("system path '/tmp/system; rm -rf /' is not a Nix store path");
    Fleet ok =
        base()
            .host(
                "a",
                h ->
                    h.systemPath(
                        "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-a-24.05"))
            .build();
    assertThat(ok.problems()).isEmpty();
  }

  @Test
  void dependencyOnAnUnknownSecret() {
    assertThat(onlyProblem(base().sharedSecret("k", s -> s.expectedOwners("a").dependsOn("nope"))))
        .isEqualTo(
            "shared secret 'k' depends on 'nope', which is not a shared secret: declare it or remove it from dependsOn");
    assertThat(onlyProblem(base().host("a", h -> h.secret("k", s -> s.dependsOn("nope")))))
        .isEqualTo(
            "host 'a' secret 'k' depends on 'nope', which is neither a secret of that host nor a shared secret: declare it or remove it from dependsOn");
  }

  @Test
  void aHostSecretMayDependOnASecretOfItsOwnHostButNotOfAnother() {
    assertThat(
            base()
                .host("a", h -> h.secret("x", s -> {}).secret("y", s -> s.dependsOn("x")))
                .build()
                .problems())
        .isEmpty();
    assertThat(
            onlyProblem(
                base()
                    .host("a", h -> h.secret("x", s -> {}))
                    .host("b", h -> h.secret("y", s -> s.dependsOn("x")))))
        .startsWith("host 'b' secret 'y' depends on 'x'");
  }

  @Test
  void twoCycleIsReportedOnce() {
    assertThat(
            onlyProblem(
                base()
                    .sharedSecret("p", s -> s.expectedOwners("a").dependsOn("q"))
                    .sharedSecret("q", s -> s.expectedOwners("a").dependsOn("p"))))
        .isEqualTo(
            "secrets depend on each other in a cycle: 'p' -> 'q' -> 'p'; remove one of these dependsOn");
  }

  @Test
  void threeCycleIsReportedOnce() {
    assertThat(
            onlyProblem(
                base()
                    .sharedSecret("p", s -> s.expectedOwners("a").dependsOn("q"))
                    .sharedSecret("q", s -> s.expectedOwners("a").dependsOn("r"))
                    .sharedSecret("r", s -> s.expectedOwners("a").dependsOn("p"))))
        .isEqualTo(
            "secrets depend on each other in a cycle: 'p' -> 'q' -> 'r' -> 'p'; remove one of these dependsOn");
  }

  @Test
  void cycleThroughAHostSecretAndSelfDependency() {
    assertThat(onlyProblem(base().sharedSecret("p", s -> s.expectedOwners("a").dependsOn("p"))))
        .isEqualTo(
            "secrets depend on each other in a cycle: 'p' -> 'p'; remove one of these dependsOn");
    assertThat(
            onlyProblem(
                base()
                    .host(
                        "a",
                        h ->
                            h.secret("x", s -> s.dependsOn("y"))
                                .secret("y", s -> s.dependsOn("x")))))
        .isEqualTo(
            "secrets depend on each other in a cycle: 'x' (host 'a') -> 'y' (host 'a') -> 'x' (host 'a'); remove one of these dependsOn");
  }

  @Test
  void generatorRunOnUnknownHost() {
    assertThat(
            onlyProblem(
                base()
                    .sharedSecret(
                        "k",
                        s ->
                            s.expectedOwners("a")
                                .generator(Generators.script("echo").onHost("hsm")))))
        .isEqualTo(
            "shared secret 'k': its generator runs on 'hsm', which is not a host of the fleet: name a declared host");
  }

  @Test
  void x509LeafNotDependingOnItsCa() {
    assertThat(
            onlyProblem(
                base()
                    .sharedSecret(
                        "ca",
                        s ->
                            s.expectedOwners("a")
                                .generator(Generators.x509Ca("ca", Duration.ofDays(1))))
                    .sharedSecret(
                        "leaf",
                        s ->
                            s.expectedOwners("a")
                                .generator(
                                    Generators.x509Leaf(
                                        "ca", "a", List.of(), Duration.ofDays(1))))))
        .isEqualTo(
            "shared secret 'leaf': it is signed by 'ca' but does not list it in dependsOn: add dependsOn('ca') so it is regenerated with its CA");
  }

  @ParameterizedTest
  @ValueSource(strings = {"777a", "0999", "rw-r--r--", "", "04000", "0400\n"})
  void badFileMode(String mode) {
    assertThat(onlyProblem(base().host("a", h -> h.secret("k", s -> s.fileMode(mode)))))
        .isEqualTo(
            "host 'a' secret 'k': file mode "
                + Names.quote(mode)
                + " is not an octal mode such as 0400");
  }

  @Test
  void badFileOwnerAndGroup() {
    assertThat(onlyProblem(base().host("a", h -> h.secret("k", s -> s.fileOwner("root;reboot")))))
        .isEqualTo(
            "host 'a' secret 'k': file owner 'root;reboot' is not a user name or uid: use letters, digits, '_', '.' and '-'");
    assertThat(onlyProblem(base().host("a", h -> h.secret("k", s -> s.fileGroup("a b")))))
        .startsWith("host 'a' secret 'k': file group 'a b' is not a group name or gid");
    assertThat(
            base()
                .host("a", h -> h.secret("k", s -> s.fileOwner("1000").fileGroup("nogroup")))
                .build()
                .problems())
        .isEmpty();
  }

  @Test
  void aHostSecretWithOwnersIsRefused() {
    assertThat(onlyProblem(base().host("a", h -> h.secret("k", s -> s.expectedOwners("b")))))
        .isEqualTo(
            "host 'a' secret 'k' lists owners [b]: a host secret is owned by its host only; declare a shared secret instead");
  }

  @Test
  void invalidFleetName() {
    assertThat(onlyProblem(base().name("my fleet")))
        .isEqualTo("fleet name 'my fleet' is invalid: use letters, digits, '-' and '_'");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    UnaryOperator<Fleet.Builder> breakAll =
        b ->
            b.host("bad name", h -> {})
                .host("a", h -> h.tags("t;t").secret("m", s -> s.fileMode("999")))
                .sharedSecret("k", s -> s.expectedOwners("zed").dependsOn("missing"))
                .sharedSecret("p", s -> s.expectedOwners("a").dependsOn("q"))
                .sharedSecret("q", s -> s.expectedOwners("a").dependsOn("p"))
                .sharedSecret(
                    "g",
                    s -> s.expectedOwners("a").generator(Generators.password().onHost("nowhere")));
    Fleet fleet = breakAll.apply(base()).build();

    assertThatThrownBy(fleet::validate)
        .isInstanceOfSatisfying(
            FleetConfigException.class,
            e -> {
              assertThat(e.problems())
                  .containsExactlyInAnyOrder(
                      "host name 'bad name' is invalid: use letters, digits, '-' and '_', at most 63, starting with a letter or digit",
                      "host 'a': tag 't;t' is invalid: use letters, digits, '-' and '_'",
                      "host 'a' secret 'm': file mode '999' is not an octal mode such as 0400",
                      "shared secret 'k' names owner 'zed', which is not a host of the fleet: declare the host or remove the owner",
                      "shared secret 'k' depends on 'missing', which is not a shared secret: declare it or remove it from dependsOn",
                      "secrets depend on each other in a cycle: 'p' -> 'q' -> 'p'; remove one of these dependsOn",
                      "shared secret 'g': its generator runs on 'nowhere', which is not a host of the fleet: name a declared host");
              assertThat(e.getMessage()).startsWith("fleet 'default' is invalid (7 problems):");
              for (String p : e.problems()) {
                assertThat(e.getMessage()).contains("\n  - " + p);
              }
            });
  }
}
