package io.fleet.examples.cli;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Host;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.FleetDataStore;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.Transport;
import io.fleet.nix.FleetNixFile;
import io.fleet.nix.NixEvaluator;
import io.fleet.secrets.SecretRotation;
import io.fleet.testkit.FakeFleet;
import io.fleet.transport.Deployer;
import io.fleet.transport.SshTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * What one command works with, made from the global options: the fleet, how to build it (an
 * evaluator), how to reach its hosts (a transport), its data file and clock. With {@code --fake N}
 * all of it is a {@link FakeFleet}; otherwise the real {@code nix} and SSH.
 */
final class Session implements AutoCloseable {
  final FleetCli cli;

  /** The evaluated fleet; null in a session opened with {@link #openUnevaluated}. */
  final Fleet fleet;

  /** The flake of {@code --fleet}; empty with {@code --fake}. */
  final Optional<FlakeRef> flake;

  final Evaluator evaluator;
  final Transport transport;
  final Clock clock;
  final Deployer.Sleeper sleeper;
  final Optional<FakeFleet> fake;
  final Path dataFile;
  final FleetDataStore store;
  private final boolean dataExplicit;
  private final Path tempDir;

  private Session(
      FleetCli cli,
      Fleet fleet,
      Optional<FlakeRef> flake,
      Evaluator evaluator,
      Transport transport,
      Clock clock,
      Deployer.Sleeper sleeper,
      Optional<FakeFleet> fake,
      Path dataFile,
      boolean dataExplicit,
      Path tempDir) {
    this.cli = cli;
    this.fleet = fleet;
    this.flake = flake;
    this.evaluator = evaluator;
    this.transport = transport;
    this.clock = clock;
    this.sleeper = sleeper;
    this.fake = fake;
    this.dataFile = dataFile;
    this.dataExplicit = dataExplicit;
    this.tempDir = tempDir;
    this.store = FleetNixFile.at(dataFile);
  }

  /** Opens the session the options describe, with the fleet evaluated; the caller closes it. */
  static Session open(FleetCli cli) {
    return open(cli, true);
  }

  /**
   * Opens the session without evaluating a {@code --fleet} flake ({@link #fleet} is then null and
   * {@link #flake} says what to evaluate), for a command that evaluates as it goes, such as {@code
   * deploy --pipeline}. With {@code --fake} the example fleet is there as always.
   */
  static Session openUnevaluated(FleetCli cli) {
    return open(cli, false);
  }

  private static Session open(FleetCli cli, boolean evaluate) {
    if (cli.fake != null && cli.flake != null) {
      throw new FleetCli.UsageException(
          "--fake and --fleet do not go together: --fake runs an example fleet on fake hosts");
    }
    if (cli.data != null && Files.isDirectory(cli.data)) {
      throw new FleetConfigException(
          "--data " + cli.data + " is a directory: give the data file, such as fleet.nix");
    }
    if (cli.identity != null && !Files.isRegularFile(cli.identity)) {
      throw new FleetConfigException(
          "--identity " + cli.identity + " does not exist: give an age or OpenSSH key file");
    }
    if (cli.fake != null) {
      Fleet fleet = ExampleFleet.of(cli.fake);
      FakeFleet fake = FakeFleet.builder().fleet(fleet).handler(new FakeShell()).build();
      Path temp = null;
      Path data = cli.data;
      if (data == null) {
        try {
          temp = Files.createTempDirectory("fleet-cli-");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        data = temp.resolve("fleet.nix");
      }
      return new Session(
          cli,
          fleet,
          Optional.empty(),
          fake.evaluator(),
          fake.transport(),
          fake.clock(),
          fake.clock()::sleep,
          Optional.of(fake),
          data,
          cli.data != null,
          temp);
    }
    FlakeRef flake = FlakeRef.parse(cli.flake == null ? "." : cli.flake);
    Path data =
        cli.data != null
            ? cli.data
            : flake.localDir().orElse(Path.of("").toAbsolutePath()).resolve("fleet.nix");
    NixEvaluator.Builder nixBuilder = NixEvaluator.builder();
    cli.nixOptions.forEach(nixBuilder::option);
    NixEvaluator nix = nixBuilder.build();
    Fleet fleet = null;
    if (evaluate) {
      try {
        fleet = nix.evaluate(flake.ref(), flake.configuration()).validate();
      } catch (RuntimeException e) {
        nix.close();
        throw e;
      }
    }
    SshTransport.Builder ssh = SshTransport.builder();
    if (Files.exists(data)) {
      ssh.pinnedHostKeys(FleetNixFile.at(data).load());
    }
    if (cli.sshKey != null) {
      ssh.identityFile(cli.sshKey);
    }
    return new Session(
        cli,
        fleet,
        Optional.of(flake),
        nix,
        ssh.build(),
        Clock.systemUTC(),
        d -> Thread.sleep(d.toMillis()),
        Optional.empty(),
        data,
        cli.data != null,
        null);
  }

  /** The hosts {@code --on}/{@code --skip} choose (all by default). */
  List<Host> selected() {
    return fleet.select(cli.on, cli.skip);
  }

  /**
   * The data, for a command that reads it: a {@code --data} file that does not exist is an error (a
   * default one that does not exist is empty data).
   */
  FleetData loadExisting() {
    requireDataFile();
    return store.load();
  }

  /** Fails if {@code --data} was given and does not exist. */
  void requireDataFile() {
    if (dataExplicit && !Files.exists(dataFile)) {
      throw new FleetConfigException(
          "the data file "
              + dataFile
              + " (--data) does not exist: check the path, or leave --data out to use fleet.nix"
              + " beside the flake");
    }
  }

  /** Fails if the directory the data file goes in does not exist. */
  void requireDataDirectory() {
    Path parent = dataFile.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new FleetConfigException(
          "the data file " + dataFile + " cannot be written: " + parent + " does not exist");
    }
  }

  /** The operator identity of {@code --identity}, if given (never printed). */
  Optional<String> operatorIdentity() {
    if (cli.identity == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readString(cli.identity, StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      throw new FleetConfigException("cannot read --identity " + cli.identity + ": " + e);
    }
  }

  /** A deployer on this session's evaluator, transport and clock. */
  Deployer.Builder deployer() {
    return Deployer.builder().transport(transport).evaluator(evaluator).clock(clock, sleeper);
  }

  /** A rotation of this session's fleet into its data file. */
  SecretRotation.Builder rotation() {
    SecretRotation.Builder b =
        SecretRotation.builder()
            .fleet(fleet)
            .store(store)
            .transport(transport)
            .clock(clock)
            .refreshHostKeys(fake.isPresent());
    operatorIdentity().ifPresent(b::operatorIdentity);
    return b;
  }

  @Override
  public void close() {
    try {
      transport.close();
    } finally {
      try {
        evaluator.close();
      } finally {
        fake.ifPresent(FakeFleet::close);
        if (tempDir != null) {
          deleteTree(tempDir);
        }
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // a temporary directory left behind is harmless
                }
              });
    } catch (IOException e) {
      // as above
    }
  }
}
