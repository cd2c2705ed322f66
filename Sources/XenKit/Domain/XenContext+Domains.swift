extension XenContext {
    /// All domains on the host, dom0 first, in id order.
    ///
    /// The corresponding libxl function is `libxl_list_domain`.
    public func domains() throws(XenError) -> [DomainInfo] {
        try perform("list domains") { Libxl.listDomains($0) }
    }

    /// One domain's current state.
    ///
    /// The corresponding libxl function is `libxl_domain_info`.
    /// - Throws: ``XenError`` with code ``XenError/Code/domainNotFound`` when no domain has
    ///   that id.
    public func domain(_ id: DomainID) throws(XenError) -> DomainInfo {
        let mark = logger.mark()
        switch Libxl.domainInfo(ctx, id) {
        case .success(let info):
            return info
        case .failure(let failure) where failure.code == LibxlCode.domainNotFound:
            throw XenError.domainNotFound(.id(id))
        case .failure(let failure):
            throw XenError.libxl(failure, operation: "get the state of domain \(id)",
                                 messages: logger.errors(since: mark))
        }
    }

    /// The id of the domain an operator named, by id or by name, as xl resolves them.
    ///
    /// An id is checked to exist. The corresponding libxl function is `libxl_name_to_domid`.
    /// - Throws: ``XenError`` with code ``XenError/Code/domainNotFound``.
    public func resolve(_ qualifier: DomainQualifier) throws(XenError) -> DomainID {
        switch qualifier {
        case .id(let id):
            _ = try domain(id)
            return id
        case .name(let name):
            switch Libxl.domainID(ctx, name: name) {
            case .success(let id):
                return id
            case .failure:
                // libxl_name_to_domid says ERROR_INVAL for "no such name": not worth a libxl code.
                throw XenError.domainNotFound(qualifier)
            }
        }
    }

    /// The domain an operator named, with its current state.
    public func domain(_ qualifier: DomainQualifier) throws(XenError) -> DomainInfo {
        let id = try resolve(qualifier)
        do {
            return try domain(id)
        } catch where error.code == .domainNotFound {
            // It went away between the lookup and the query.
            throw XenError.domainNotFound(qualifier)
        }
    }

    /// The NUMA nodes Xen places a domain's memory on, of the host's `nodeCount` (`xl list -n`).
    ///
    /// The corresponding libxl function is `libxl_domain_get_nodeaffinity`.
    public func nodeAffinity(of id: DomainID, nodeCount: Int) throws(XenError) -> Set<Int> {
        try perform("read the NUMA node affinity of domain \(id)") { Libxl.nodeAffinity($0, id, nodeCount: nodeCount) }
    }

    /// The name xenstore holds for a domain, if any.
    public func name(of id: DomainID) -> String? {
        Libxl.domainName(ctx, id)
    }
}
