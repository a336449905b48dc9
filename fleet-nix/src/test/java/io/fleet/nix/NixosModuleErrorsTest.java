package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.EvaluationException;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Errors of the real NixOS module system (the shared 2020 nixpkgs) in a host's configuration, and
 * the secrets module's refusal of names from fleet data that would escape /run/secrets, reach the
 * user as {@link EvaluationException}s naming the host and the option (or secret).
 */
class NixosModuleErrorsTest {
  @TempDir static Path tmp;
  static String flake;
  static NixEvaluator nix;

  @BeforeAll
  static void createFlake() {
    NixTestSupport.requireNix();
    flake =
        NixTestSupport.flake(tmp, "nixos-errors", Map.of("NONCE", UUID.randomUUID().toString()));
    nix = NixTestSupport.realNixos(tmp).build();
  }

  private static EvaluationException failure(String configuration) {
    EvaluationException[] caught = new EvaluationException[1];
    assertThatThrownBy(() -> nix.evaluate(flake, configuration))
        .isInstanceOfSatisfying(EvaluationException.class, e -> caught[0] = e);
    assertThat(caught[0].host()).contains("web");
    assertThat(caught[0].getMessage()).contains("in host 'web'");
    return caught[0];
  }

  @Test
  void anUndeclaredNixosOptionNamesTheOptionAndTheHost() {
    assertThat(failure("undeclared").getMessage())
        .contains("The option `services.doesNotExist' ")
        .contains("via option hosts.web.nixos")
        .contains("does not exist");
  }

  @Test
  void aNixosDefinitionOfTheWrongTypeNamesTheOption() {
    assertThat(failure("wrongType").getMessage())
        .contains("`networking.firewall.allowedTCPPorts.")
        .contains("is not of type `16 bit unsigned integer");
  }

  @Test
  void conflictingNixosDefinitionsNameTheOption() {
    assertThat(failure("conflict").getMessage())
        .contains("The option `time.timeZone' has conflicting definitions");
  }

  @Test
  void secretAndPartNamesFromFleetDataThatAreNotNamesFailTheNixosAssertions() {
    EvaluationException e = failure("badNames");
    assertThat(e.getMessage())
        .contains("Failed assertions")
        .contains("stored secret \"../../etc/cron.d\" is not a valid secret name")
        .contains("part of secret \"wg-key\" \"../x\" is not a valid part name")
        .contains("owner of secret \"mesh\" \"../evil\" is not a valid host name")
        .doesNotContain("good-one")
        .doesNotContain("\"mesh\" is not");
  }
}
