# What a host needs to evaluate: a root file system and a boot loader.
{
  fileSystems."/" = {
    device = "/dev/vda1";
    fsType = "ext4";
  };
  boot.loader.grub.device = "/dev/vda";
}
