# SPDX-License-Identifier: LGPL-2.1-or-later
# ansible/: the ferry.kvm collection, installed where ansible-galaxy puts
# collections (ANSIBLE_COLLECTIONS_PATH's layout: ansible_collections/
# NAMESPACE/NAME), and the evacuation runbook as an example.  With
# --prefix=/usr the collection lands in /usr/share/ansible/collections,
# which Ansible searches by default; otherwise add
# $(datadir)/ansible/collections to ANSIBLE_COLLECTIONS_PATH, or set
# ansiblecollectionsdir at make install.
ansiblecollectionsdir = $(datadir)/ansible/collections
ferrykvmdir = $(ansiblecollectionsdir)/ansible_collections/ferry/kvm

dist_ferrykvm_DATA = ansible/ferry/kvm/galaxy.yml ansible/ferry/kvm/README.md \
	ansible/ferry/kvm/CHANGELOG.md
ferrykvmmetadir = $(ferrykvmdir)/meta
dist_ferrykvmmeta_DATA = ansible/ferry/kvm/meta/runtime.yml
ferrykvmmodulesdir = $(ferrykvmdir)/plugins/modules
dist_ferrykvmmodules_DATA = ansible/ferry/kvm/plugins/modules/ferry_vms.py \
	ansible/ferry/kvm/plugins/modules/ferry_export.py \
	ansible/ferry/kvm/plugins/modules/ferry_job.py
ferrykvmutilsdir = $(ferrykvmdir)/plugins/module_utils
dist_ferrykvmutils_DATA = ansible/ferry/kvm/plugins/module_utils/ferry.py
ferrykvmfragmentsdir = $(ferrykvmdir)/plugins/doc_fragments
dist_ferrykvmfragments_DATA = ansible/ferry/kvm/plugins/doc_fragments/ferry.py
ferrykvmfilterdir = $(ferrykvmdir)/plugins/filter
dist_ferrykvmfilter_DATA = ansible/ferry/kvm/plugins/filter/report.py

ansibleexamplesdir = $(docdir)/ansible
dist_ansibleexamples_DATA = ansible/examples/evacuate-host.yml
ansibletemplatesdir = $(ansibleexamplesdir)/templates
dist_ansibletemplates_DATA = ansible/examples/templates/evacuate-report.md.j2
