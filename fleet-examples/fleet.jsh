// A walk through Fleet for Java at a JShell prompt, on fake hosts (no nix, no SSH needed).
// Open it with:  fleet-examples/jshell.sh            (runs this script, then leaves you at the prompt)
// or run it through to the end:  fleet-examples/jshell.sh --batch
import io.fleet.api.*;
import io.fleet.api.deploy.*;
import io.fleet.api.data.*;
import io.fleet.testkit.*;
import io.fleet.transport.Deployer;
import io.fleet.secrets.*;
import io.fleet.nix.FleetNixFile;
import java.nio.file.*;
import java.util.*;

// 1. Build a fleet with the DSL: three hosts, tags, a module, a shared secret owned by two hosts.
FleetModule backups = FleetModule.named("backups", f -> f.host("db-1", h -> h.secret("backup-key", s -> s.generator(Generators.ed25519()))));
Fleet fleet = Fleet.builder().
    host("web-1", h -> h.tags("web")).
    host("web-2", h -> h.tags("web")).
    host("db-1", h -> h.tags("db")).
    module(backups).
    sharedSecret("db-password", s -> s.expectedOwners("web-1").generator(Generators.password(32))).
    sharedSecret("db-password", s -> s.expectedOwners("db-1")).
    build();
System.out.println("db-password owners (they add up): " + fleet.sharedSecret("db-password").get().owners() + ", modules " + fleet.modules());

// 2. Validate it: every cross-object problem at once (none here).
fleet.validate();
System.out.println("fleet " + fleet.name() + ": hosts " + fleet.hosts().keySet() + ", problems " + fleet.problems());
System.out.println("@web selects " + fleet.select(List.of("@web"), List.of()).stream().map(Host::name).toList());

// A fleet is a value: toBuilder() makes a changed copy.
System.out.println("with web-3: " + fleet.toBuilder().host("web-3", h -> h.tags("web")).build().hosts().keySet());

// 3. Fake hosts for every host of the fleet, and a deployer wired to them (transport, evaluator,
//    virtual clock, fake HTTP endpoints).
FakeFleet fake = FakeFleet.of(fleet);
Deployer deployer = fake.deployer();
System.out.println(fake);

// 4. Plan a deployment: a canary first, then the rest.
DeploymentPlan plan = deployer.plan(fleet).action(DeployAction.SWITCH).canary(1).keepGoing(true).build();
System.out.println(plan.summary());
System.out.println("the plan as JSON: " + plan.toJson().length() + " characters, reads back with " + DeploymentPlan.fromJson(plan.toJson()).hosts().size() + " hosts");

// 5. Break a host: web-2's new system will fail to activate.
fake.host("web-2").failNextActivation();

// 6. Deploy and look at the report.
DeploymentReport report = deployer.execute(plan);
System.out.println(report.summary());
System.out.println("web-2 is back on generation " + fake.host("web-2").generation() + ", web-1 is on " + fake.host("web-1").generation());

// ... and at one host's report as JSON (the whole report: report.toJson()).
System.out.println(FleetJson.toJson(report.host("web-2")));
DeploymentReport again = DeploymentReport.fromJson(report.toJson());
System.out.println("the JSON reads back: " + again.hostsWith(HostOutcome.ROLLED_BACK));

// 7. Rotate the secrets into a fleet.nix: generated, encrypted to each host's SSH key.
Path data = Files.createTempDirectory("fleet-jsh-").resolve("fleet.nix");
SecretRotation rotation = fake.rotation(FleetNixFile.at(data));
RotationPlan secrets = rotation.plan();
secrets.pending().forEach(s -> System.out.println(s.action() + " " + s.host().map(h -> h + "/").orElse("") + s.name() + ": " + s.description()));
RotationResult rotated = rotation.execute(secrets);
System.out.println("rotated " + rotated.done().size() + " secrets into " + data.getFileName() + "; again: " + rotation.plan().counts());

fake.close();
System.out.println("fleet.jsh: done");
