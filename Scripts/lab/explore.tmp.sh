#!/bin/bash
# temporary: block/network hotplug exploration with xl (deleted after)
set -x
export PATH=/usr/lib/xen-4.17/bin:$PATH
lsmod | grep -E 'loop|bridge|blkback' 
ls /etc/xen/scripts/ | head -30
xl create DomainConfigs/lab-pv.cfg
ip link add xkbr0 type bridge && ip addr add 169.254.200.1/16 dev xkbr0 && ip link set xkbr0 up
dd if=/dev/zero of=/tmp/d1.img bs=1M count=8
dd if=/dev/zero of=/tmp/d2.img bs=1M count=8
cat > /tmp/blocktrace <<'EOT'
#!/bin/bash
exec 2>>/tmp/block.trace
echo "=== $(date +%T.%N) $*" >&2
export PS4='+ $(date +%T.%N) '
exec bash -x /etc/xen/scripts/block "$@"
EOT
chmod +x /tmp/blocktrace
for i in $(seq 60); do grep -q XENKIT-GUEST-READY /var/log/xen/console/guest-lab-pv.log && break; sleep 1; done
tail -3 /var/log/xen/console/guest-lab-pv.log
time xl -v block-attach lab-pv /tmp/d1.img,raw,xvdb,w,script=/tmp/blocktrace
xl block-list lab-pv
sleep 5; tail -5 /var/log/xen/console/guest-lab-pv.log
time xl -v network-attach lab-pv bridge=xkbr0 mac=00:16:3e:00:c8:05
xl network-list lab-pv
sleep 5; tail -5 /var/log/xen/console/guest-lab-pv.log
busybox ping -c 2 -W 3 169.254.200.5
time xl -v block-attach lab-pv /tmp/d2.img,raw,xvdc,w
sleep 5; tail -3 /var/log/xen/console/guest-lab-pv.log
time xl -v block-detach lab-pv xvdc
xl block-list lab-pv
time xl -v block-detach -f lab-pv xvdc
xl block-list lab-pv
time xl -v block-detach lab-pv xvdb
head -c 64 /tmp/d1.img | od -c | head -3
time xl -v network-detach lab-pv 0
sleep 5; tail -5 /var/log/xen/console/guest-lab-pv.log
losetup -a
echo ==== trace; tail -60 /tmp/block.trace
xl destroy lab-pv
