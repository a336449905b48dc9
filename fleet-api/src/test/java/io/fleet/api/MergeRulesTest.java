package io.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The merge rules of the DSL, {@link Fleet#toBuilder()} and {@link FleetModule#named}. */
class MergeRulesTest {

  @Test
  void twoModulesAddingOwnersToOneSecretKeepBoth() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> {})
            .host("b", h -> {})
            .host("c", h -> {})
            .module(FleetModule.named("one", f -> f.sharedSecret("db", s -> s.expectedOwners("a"))))
            .module(FleetModule.named("two", f -> f.sharedSecret("db", s -> s.expectedOwners("b"))))
            .sharedSecret("db", s -> s.owners(List.of("c")))
            .build();
    assertThat(fleet.sharedSecrets().get("db").owners()).containsExactly("a", "b", "c");
    assertThat(fleet.modules()).containsExactly("one", "two");
  }

  @Test
  void everyOwnerOverloadAdds() {
    SecretSpec s =
        SecretSpec.builder()
            .name("x")
            .expectedOwners("a")
            .expectedOwners(List.of("b"))
            .owners(Set.of("c"))
            .addOwners("d")
            .build();
    assertThat(s.owners()).containsExactly("a", "b", "c", "d");
    assertThat(
            SecretSpec.builder()
                .name("x")
                .expectedOwners("a")
                .replaceOwners(List.of("z"))
                .build()
                .owners())
        .containsExactly("z");
  }

  @Test
  void tagsAddWhicheverOverloadIsUsed() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> h.tags("web"))
            .host("a", h -> h.tags(List.of("eu")))
            .host("a", h -> h.tags(Set.of("canary")))
            .build();
    assertThat(fleet.host("a").tags()).containsExactly("all", "canary", "eu", "web");
    Fleet replaced = fleet.toBuilder().host("a", h -> h.replaceTags(List.of("db"))).build();
    assertThat(replaced.host("a").tags()).containsExactly("all", "db");
  }

  @Test
  void singleValuesAreReplacedByTheLaterCall() {
    Fleet fleet =
        Fleet.builder()
            .host("a", h -> h.system("x86_64-linux").target("root@10.0.0.1"))
            .host("a", h -> h.system("aarch64-linux"))
            .sharedSecret("s", s -> s.expectedOwners("a").fileMode("0400"))
            .sharedSecret("s", s -> s.fileMode("0440"))
            .build();
    assertThat(fleet.host("a").system()).isEqualTo("aarch64-linux");
    assertThat(fleet.host("a").deployTarget().address()).isEqualTo("10.0.0.1");
    assertThat(fleet.sharedSecrets().get("s").fileMode()).isEqualTo("0440");
  }

  @Test
  void toBuilderStartsFromTheFleetAndLeavesItUnchanged() {
    Fleet fleet =
        Fleet.builder()
            .name("prod")
            .host("a", h -> h.tags("web").secret("k", s -> s.generator(Generators.ed25519())))
            .sharedSecret("db", s -> s.expectedOwners("a"))
            .module(FleetModule.named("mesh", f -> f.host("a", h -> h.tags("wg"))))
            .setting("x", com.fasterxml.jackson.databind.node.IntNode.valueOf(1))
            .build();
    Fleet grown =
        fleet.toBuilder()
            .host("b", h -> {})
            .host("a", h -> h.tags("eu"))
            .sharedSecret("db", s -> s.expectedOwners("b"))
            .build();
    assertThat(grown.name()).isEqualTo("prod");
    assertThat(grown.hosts()).containsOnlyKeys("a", "b");
    assertThat(grown.host("a").tags()).containsExactly("all", "eu", "web", "wg");
    assertThat(grown.host("a").secrets()).containsOnlyKeys("k");
    assertThat(grown.sharedSecrets().get("db").owners()).containsExactly("a", "b");
    assertThat(grown.modules()).containsExactly("mesh");
    assertThat(grown.settings()).containsOnlyKeys("x");
    grown.validate();
    assertThat(fleet.hosts()).containsOnlyKeys("a");
    assertThat(fleet.sharedSecrets().get("db").owners()).containsExactly("a");
    assertThat(fleet.toBuilder().build()).isEqualTo(fleet);
  }

  @Test
  void lambdaAndAnonymousModulesHaveReadableNames() {
    FleetModule lambda = f -> f.host("a", h -> {});
    FleetModule anonymous =
        new FleetModule() {
          @Override
          public void configure(Fleet.Builder fleet) {}
        };
    assertThat(lambda.name()).isEqualTo("lambda module in MergeRulesTest");
    assertThat(anonymous.name()).isEqualTo("anonymous module in MergeRulesTest");
    FleetModule named = FleetModule.named("monitoring", f -> f.host("mon-1", h -> {}));
    assertThat(named.name()).isEqualTo("monitoring");
    assertThat(named).hasToString("FleetModule 'monitoring'");
    Fleet fleet = Fleet.builder().module(named).module(lambda).build();
    assertThat(fleet.modules()).containsExactly("monitoring", "lambda module in MergeRulesTest");
    assertThat(fleet.hosts()).containsOnlyKeys("a", "mon-1");
  }

  @Test
  void namedModuleChecksItsArguments() {
    assertThatThrownBy(() -> FleetModule.named(" ", f -> {}))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("non-blank");
    assertThatThrownBy(() -> FleetModule.named("m", null))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("module 'm'");
  }

  @Test
  void selectingATagByItsBareNameSuggestsTheTag() {
    Fleet fleet = Fleet.builder().host("web-1", h -> h.tags("web")).host("db-1", h -> {}).build();
    assertThatThrownBy(() -> fleet.select(List.of("web"), List.of()))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("no such host(s) [web]")
        .hasMessageContaining("@web would choose the hosts with that tag");
    assertThatThrownBy(() -> fleet.select(List.of("nope"), List.of()))
        .isInstanceOf(FleetConfigException.class)
        .message()
        .doesNotContain("@");
  }

  @Test
  void passwordRefusesWeakLengthsAsDocumented() {
    assertThatThrownBy(() -> Generators.password(3))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("too weak")
        .hasMessageContaining("at least 11");
    assertThatThrownBy(() -> Generators.password(19, "0123456789"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("at least 20");
    assertThat(Generators.password(11).number("length", 0)).isEqualTo(11);
    assertThat(Generators.password(20, "0123456789").number("length", 0)).isEqualTo(20);
    assertThatThrownBy(() -> Generators.password(Generators.PASSWORD_MAX_LENGTH + 1))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("maximum");
    assertThatThrownBy(() -> Generators.password(40, "aaaa"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("two distinct");
  }
}
