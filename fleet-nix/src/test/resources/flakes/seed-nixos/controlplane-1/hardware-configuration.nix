{imports = [../vm-hardware.nix];}
