#!/bin/sh
# The main job's part inside the lab's dom0: show xk working on a real Xen host.
# Usage: demo-in-lab.sh XK_BINARY
set -eu
xk=$1
show() { echo; echo "\$ $*"; "$@"; }
log=/var/log/xen/console/guest-lab-pv.log

show "$xk" info
show "$xk" list
echo
echo "# a PV guest from DomainConfigs/, built by xk"
show "$xk" create DomainConfigs/lab-pv.cfg
i=0
until grep -q XENKIT-GUEST-READY "$log" 2>/dev/null; do
  i=$((i + 1)); [ $i -le 60 ] || { echo "guest did not come up" >&2; exit 1; }
  sleep 1
done
sleep 3
show "$xk" list
show xl list      # the reference toolstack agrees
show "$xk" list --json lab-pv
echo
echo "\$ tail -n 3 $log    # the guest's own console"
tail -n 3 "$log"
show "$xk" pause lab-pv
show "$xk" list lab-pv
show "$xk" unpause lab-pv
echo
echo "# balloon it down and give it a second vCPU; the guest's own console shows both"
show "$xk" mem-set --wait lab-pv 96m
show "$xk" vcpu-set --wait lab-pv 2
sleep 5
show "$xk" vcpu-list lab-pv
echo "\$ tail -n 1 $log"
tail -n 1 "$log"
show "$xk" shutdown -w lab-pv
show "$xk" list
