{ imports = [ ./secrets.nix ./rollback-watchdog.nix ]; }
