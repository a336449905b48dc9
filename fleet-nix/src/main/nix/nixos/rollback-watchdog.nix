# NixOS side of the deployment protocol (io.fleet.api.deploy.HostProtocol): the state directory
# and the boot-time rollback watchdog.
#
# The deployer arms a transient timer (fleet-rollback-watchdog) after copying a system; it does not
# survive a reboot, but the rollback marker /var/lib/fleet/rollback-marker does. If the host
# reboots into a system that was never confirmed, fleet-rollback-boot.timer fires `bootWindow`
# seconds after boot and runs the same rollback script (rollback.sh, identical to
# HostProtocol.ROLLBACK_SCRIPT): switch the profile back to the generation named in the marker,
# activate it, remove the marker. The deployer's confirmation stops the timer.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.fleet.rollback;
  marker = "/var/lib/fleet/rollback-marker";
  # Plain store files (builtins.toFile), run with the shell: nothing to build.
  rollbackScript = builtins.toFile "fleet-rollback" ("#!/bin/sh\n" + builtins.readFile ./rollback.sh);
  # Only a marker from before this boot is the boot watchdog's business: one written during this
  # boot belongs to a deployment in progress, watched by its own transient timer. (A new timer unit
  # started by switch-to-configuration would otherwise fire at once, OnBootSec being long past.)
  # The marker's fourth line is the boot id it was written in; comparing boot ids (rather than the
  # marker's age with the uptime) holds in containers too, whose uptime is the machine's.
  markerFromEarlierBoot = builtins.toFile "fleet-rollback-marker-from-earlier-boot" ''
    #!/bin/sh
    [ -f ${marker} ] || exit 1
    [ "$(sed -n 4p ${marker})" != "$(cat /proc/sys/kernel/random/boot_id)" ]
  '';
in
{
  options.fleet.rollback = {
    enable = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Install the boot-time rollback watchdog of fleet deployments.";
    };
    bootWindow = lib.mkOption {
      type = lib.types.ints.positive;
      default = 600;
      description = "Seconds after boot within which an unconfirmed deployment must be confirmed before the host rolls back.";
    };
  };

  config = lib.mkIf cfg.enable {
    systemd.tmpfiles.rules = [ "d /var/lib/fleet 0700 root root -" ];

    systemd.timers.fleet-rollback-boot = {
      description = "Roll back an unconfirmed fleet deployment after a reboot";
      wantedBy = [ "timers.target" ];
      unitConfig.ConditionPathExists = marker;
      timerConfig = {
        OnBootSec = "${toString cfg.bootWindow}s";
        AccuracySec = "1s";
      };
    };

    systemd.services.fleet-rollback-boot = {
      description = "Roll back an unconfirmed fleet deployment after a reboot";
      unitConfig.ConditionPathExists = marker;
      # Never started or restarted by an activation; only its timer starts it.
      restartIfChanged = false;
      stopIfChanged = false;
      path = [
        config.nix.package
        pkgs.coreutils
        pkgs.gnused
        (pkgs.util-linux or pkgs.utillinux) # flock (utillinux before NixOS 20.09)
        config.systemd.package
      ];
      serviceConfig = {
        Type = "oneshot";
        ExecCondition = "${pkgs.runtimeShell} ${markerFromEarlierBoot}";
        ExecStart = "${pkgs.runtimeShell} ${rollbackScript}";
      };
    };
  };
}
