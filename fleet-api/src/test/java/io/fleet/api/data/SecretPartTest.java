package io.fleet.api.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SecretPartTest {
  private static final byte[] HELLO_WORLD = {
    (byte) 0x86, 0x4F, (byte) 0xD2, 0x6F, (byte) 0xB5, 0x59, (byte) 0xF7, 0x5B
  };

  @Test
  void plaintextWithoutTrailingNewline() {
    SecretPart p = SecretPart.plaintext("wg-pub AAAA+/=");
    assertThat(p.encoding()).isEqualTo(PartEncoding.PLAINTEXT);
    assertThat(p.raw()).isEqualTo("<PLAINTEXT>wg-pub AAAA+/=");
    assertThat(SecretPart.parseRaw(p.raw())).isEqualTo(p);
    assertThat(p.isEncrypted()).isFalse();
    assertThat(p.text()).isEqualTo("wg-pub AAAA+/=");
  }

  @Test
  void plaintextEndingInNewline() {
    SecretPart p = SecretPart.plaintext("Привет, мир!\n");
    assertThat(p.encoding()).isEqualTo(PartEncoding.PLAINTEXT_NL);
    assertThat(p.raw()).isEqualTo("<PLAINTEXT-NL>\nПривет, мир!\n");
    assertThat(SecretPart.parseRaw(p.raw()).text()).isEqualTo("Привет, мир!\n");
  }

  @Test
  void plaintextWithInnerNewlinesOnlyIsPlaintext() {
    // The original chooses PLAINTEXT-NL only for text that ends with a newline.
    SecretPart p = SecretPart.plaintext("a\nb");
    assertThat(p.raw()).isEqualTo("<PLAINTEXT>a\nb");
    assertThat(SecretPart.parseRaw("<PLAINTEXT>a\nb").text()).isEqualTo("a\nb");
  }

  @Test
  void emptyPlaintext() {
    assertThat(SecretPart.plaintext("").raw()).isEqualTo("<PLAINTEXT>");
    assertThat(SecretPart.parseRaw("<PLAINTEXT>").size()).isZero();
  }

  @Test
  void binaryAndNonPrintableTextIsBase64() {
    assertThat(SecretPart.plaintext(new byte[] {1, 2, 3, 4, 5, 6}).raw())
        .isEqualTo("<BASE64-ENCODED>\nAQIDBAUG\n");
    assertThat(SecretPart.plaintext("a\rb").encoding()).isEqualTo(PartEncoding.BASE64);
    assertThat(SecretPart.plaintext("cost: $5").encoding())
        .as("symbols are not 'printable' to the original")
        .isEqualTo(PartEncoding.BASE64);
    assertThat(SecretPart.plaintext(new byte[] {(byte) 0xc3}).encoding())
        .as("invalid UTF-8")
        .isEqualTo(PartEncoding.BASE64);
  }

  @Test
  void encryptedIsAlwaysBase64In64ColumnLinesWithoutPadding() {
    byte[] data = new byte[100];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) ('a' + i % 26);
    }
    SecretPart p = SecretPart.encrypted(data);
    String raw = p.raw();
    assertThat(raw).startsWith("<ENCRYPTED><BASE64-ENCODED>\n").endsWith("\n");
    List<String> lines =
        List.of(raw.substring("<ENCRYPTED><BASE64-ENCODED>\n".length()).split("\n"));
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).hasSize(64);
    assertThat(lines.get(1)).hasSize(64);
    assertThat(lines.get(2)).hasSize(134 - 128).doesNotContain("=");
    assertThat(String.join("", lines))
        .isEqualTo(Base64.getEncoder().withoutPadding().encodeToString(data));
    SecretPart back = SecretPart.parseRaw(raw);
    assertThat(back.isEncrypted()).isTrue();
    assertThat(back.bytes()).isEqualTo(data);
    assertThat(back).isEqualTo(p);
    assertThatThrownBy(back::text)
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("decrypt it");
  }

  @Test
  void base64IsReadWithPaddingAndStrayWhitespace() {
    assertThat(SecretPart.parseRaw("<BASE64-ENCODED>\nAQIDBA==\n").bytes())
        .containsExactly(1, 2, 3, 4);
    assertThat(SecretPart.parseRaw("<BASE64-ENCODED>\n  AQID\n\tBA\n").bytes())
        .containsExactly(1, 2, 3, 4);
  }

  @Test
  void z85DecodesTheRfc32TestVector() {
    assertThat(Z85Codec.decode("HelloWorld")).isEqualTo(HELLO_WORLD);
    SecretPart p = SecretPart.parseRaw("<Z85-ENCODED>\nHelloWorld\n");
    assertThat(p.bytes()).isEqualTo(HELLO_WORLD);
    assertThat(p.encoding()).isEqualTo(PartEncoding.Z85);
    assertThat(p.isEncrypted()).isFalse();
    assertThat(p.raw())
        .as("Z85 is read only: written back as base64")
        .isEqualTo("<BASE64-ENCODED>\nhk/Sb7VZ91s\n");
    assertThat(SecretPart.parseRaw(p.raw())).isEqualTo(p);
    SecretPart enc = SecretPart.parseRaw("<ENCRYPTED><Z85-ENCODED>\nHello\nWorld\n");
    assertThat(enc.isEncrypted()).isTrue();
    assertThat(enc.bytes()).isEqualTo(HELLO_WORLD);
  }

  @Test
  void z85TailAsTheZ85CrateWritesIt() {
    // The tail's missing bytes are '#'s in front of the remaining number: 0xB5 = 181 = 2*85 + 11.
    assertThat(Z85Codec.decode("Hello###2b")).containsExactly(0x86, 0x4F, 0xD2, 0x6F, 0xB5);
    // 0xB559 = 46425 = 6*85^2 + 36*85 + 15 -> "6Af" after two '#'.
    assertThat(Z85Codec.decode("##6Af")).containsExactly(0xB5, 0x59);
    assertThat(Z85Codec.decode("")).isEmpty();
    for (int len = 0; len <= 9; len++) {
      byte[] data = new byte[len];
      for (int i = 0; i < len; i++) {
        data[i] = (byte) (i * 37 + 200);
      }
      assertThat(Z85Codec.decode(Z85ForTests.encode(data))).as("length " + len).isEqualTo(data);
    }
  }

  @Test
  void invalidZ85IsAConfigError() {
    for (String bad : List.of("Hell", "Hello#", "He\u00e9lo", "#####", "##zzz", "%%%%%", "He lo")) {
      assertThatThrownBy(() -> SecretPart.parseRaw("<Z85-ENCODED>\n" + bad.replace(" ", "~")))
          .as(bad)
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("invalid Z85");
    }
  }

  @Test
  void unknownEncodingsAreConfigErrors() {
    assertThatThrownBy(() -> SecretPart.parseRaw("<GZIP>abc"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageStartingWith("secret part has unknown encoding <GZIP>: expected <PLAINTEXT>");
    assertThatThrownBy(() -> SecretPart.parseRaw("plain old secret"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("unknown encoding (none)");
    assertThatThrownBy(() -> SecretPart.parseRaw("<hunter2 is my password>"))
        .as("something that is not a marker is not echoed: it may be a secret")
        .isInstanceOf(FleetConfigException.class)
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> SecretPart.parseRaw("<ENCRYPTED><PLAINTEXT>x"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("must be <BASE64-ENCODED>");
    assertThatThrownBy(() -> SecretPart.parseRaw("<PLAINTEXT-NL>no newline"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("newline after its marker");
    assertThatThrownBy(() -> SecretPart.parseRaw("<BASE64-ENCODED>\n!!!\n"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("invalid base64");
    assertThatThrownBy(() -> SecretPart.parseRaw(null)).isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> SecretPart.plaintext((String) null))
        .isInstanceOf(FleetConfigException.class);
  }

  @Test
  void toStringShowsNoBytes() {
    assertThat(SecretPart.plaintext("s3cr3t-value").toString())
        .isEqualTo("SecretPart{plaintext, 12 bytes}");
    assertThat(SecretPart.encrypted("s3cr3t-value".getBytes(StandardCharsets.UTF_8)).toString())
        .isEqualTo("SecretPart{encrypted, 12 bytes}");
  }

  @Test
  void bytesAreCopied() {
    byte[] data = {1, 2, 3};
    SecretPart p = SecretPart.encrypted(data);
    data[0] = 9;
    p.bytes()[1] = 9;
    assertThat(p.bytes()).containsExactly(1, 2, 3);
  }

  /** Every raw value of the original's data files in testdata: read, then written identically. */
  @Test
  void rawValuesOfTheOriginalsFilesAreWrittenBackIdentically() throws IOException {
    List<String> raws = new ArrayList<>();
    try (Stream<Path> files = Files.list(sharedDir().resolve("testdata/fleet-nix"))) {
      for (Path f :
          files
              .filter(p -> p.toString().endsWith(".fleet.nix"))
              .sorted()
              .collect(Collectors.toList())) {
        raws.addAll(rawValues(Files.readString(f)));
      }
    }
    assertThat(raws).as("raw values found in testdata").hasSize(7);
    int encrypted = 0;
    for (String raw : raws) {
      SecretPart p = SecretPart.parseRaw(raw);
      assertThat(p.raw()).isEqualTo(raw);
      if (p.isEncrypted()) {
        encrypted++;
        assertThat(new String(p.bytes(), StandardCharsets.ISO_8859_1))
            .startsWith("age-encryption.org/v1\n");
      }
    }
    assertThat(encrypted).isEqualTo(6);
  }

  /** The {@code raw} values of a fleet.nix file: indented strings and simple quoted strings. */
  static List<String> rawValues(String nix) {
    List<String> out = new ArrayList<>();
    Matcher indented = Pattern.compile("raw = ''\\n(.*?)\\n\\s*'';", Pattern.DOTALL).matcher(nix);
    while (indented.find()) {
      List<String> lines = List.of(indented.group(1).split("\n"));
      int indent =
          lines.stream()
              .filter(l -> !l.isBlank())
              .mapToInt(l -> l.length() - l.stripLeading().length())
              .min()
              .orElse(0);
      // An indented Nix string: common indentation removed, a final newline before the ''.
      out.add(
          lines.stream()
                  .map(l -> l.substring(Math.min(indent, l.length())))
                  .collect(Collectors.joining("\n"))
              + "\n");
    }
    Matcher quoted = Pattern.compile("raw = \"(<PLAINTEXT>[^\"\\\\$]*)\";").matcher(nix);
    while (quoted.find()) {
      out.add(quoted.group(1));
    }
    return out;
  }

  static Path sharedDir() {
    String prop = System.getProperty("fleet.shared.dir");
    if (prop != null && Files.isDirectory(Paths.get(prop, "testdata"))) {
      return Paths.get(prop);
    }
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d.resolveSibling("shared").resolve("testdata"))) {
        return d.resolveSibling("shared");
      }
    }
    throw new AssertionError(
        "shared/testdata not found beside the checkout; set -Dfleet.shared.dir");
  }
}
