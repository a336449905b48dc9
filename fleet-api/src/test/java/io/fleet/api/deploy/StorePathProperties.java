package io.fleet.api.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class StorePathProperties {
  private static final Pattern SPEC =
      Pattern.compile("/nix/store/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\\-._?=]+");

  @Provide
  Arbitrary<String> candidates() {
    Arbitrary<String> hash =
        Arbitraries.strings().withChars("0123456789abcdefghijklmnopqrstuvwxyz").ofLength(32);
    Arbitrary<String> name =
        Arbitraries.strings().withChars("abcXYZ019+-._?= $;'\"`\n/").ofMinLength(0).ofMaxLength(12);
    return net.jqwik.api.Combinators.combine(hash, name, Arbitraries.of("-", "_", ""))
        .as((h, n, sep) -> "/nix/store/" + h + sep + n);
  }

  @Property(tries = 2000)
  void theFastCheckAgreesWithNixsRule(@ForAll("candidates") String path) {
    assertThat(DeploymentPlan.isStorePath(path)).isEqualTo(SPEC.matcher(path).matches());
  }
}
