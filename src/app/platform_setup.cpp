#include "app/platform_setup.h"

#include <fstream>

#include "crypto/key.h"
#include "crypto/signer.h"
#include "pki/csr.h"
#include "pki/name.h"

namespace gzca::app {

Result<Bytes> LoadOrCreateSecret(const std::filesystem::path& path, std::size_t size) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        std::filesystem::create_directories(path.parent_path(), ec);
        GZCA_TRY_STATUS(WriteFileAtomic(path, crypto::RandomBytes(size), 0600));
    }
    std::ifstream in(path, std::ios::binary);
    Bytes out((std::istreambuf_iterator<char>(in)), {});
    if (!in.good() && !in.eof()) {
        return Fail(ErrorCode::kUnavailable, "cannot read " + path.string(), "无法读取密钥文件");
    }
    if (out.size() != size) {
        return Fail(ErrorCode::kInvalidArgument,
                    path.string() + " has " + std::to_string(out.size()) + " bytes, expected " +
                        std::to_string(size),
                    "密钥文件长度不正确");
    }
    return out;
}

api::SiteInfo SiteInfoFrom(const PlatformConfig& c) {
    api::SiteInfo site;
    site.name = c.site_name;
    site.service_phone = c.service_phone;
    site.service_email = c.service_email;
    site.platform_url = c.platform_url;
    site.address = c.address;
    if (!c.bank_transfer_text.empty()) site.bank_transfer_text = c.bank_transfer_text;
    if (!c.help_lines.empty()) {
        site.help_lines.clear();
        for (const std::string& line : c.help_lines) {
            auto bar = line.find('|');
            site.help_lines.push_back({line.substr(0, bar), line.substr(bar + 1)});
        }
    }
    return site;
}

Result<std::unique_ptr<PlatformCore>> BuildPlatformCore(Context& ctx) {
    const Config& config = ctx.config();
    auto core = std::make_unique<PlatformCore>();
    GZCA_ASSIGN_OR_RETURN(ra::PiiVault vault, ra::PiiVault::LoadOrCreate(config.data_dir / "keys" /
                                                                         "platform-pii.key"));
    core->vault = std::make_unique<ra::PiiVault>(std::move(vault));
    core->accounts = std::make_unique<ra::AccountRepository>(ctx.db(), *core->vault, ctx.clock());
    core->outbox = std::make_unique<notify::Outbox>(*core->vault, ctx.clock());
    ra::OrderConfig oc;
    oc.fees_fen.clear();
    for (const auto& [name, fee] : config.platform.fees_fen) {
        GZCA_ASSIGN_OR_RETURN(ra::OrderType type, ra::ParseOrderType(name));
        oc.fees_fen[type] = fee;
    }
    oc.review_working_days = config.platform.review_working_days;
    oc.issuer = config.platform.issuer;
    core->orders = std::make_unique<ra::OrderService>(ctx.db(), ctx.ca(), *core->accounts,
                                                      *core->vault, ctx.clock(), std::move(oc));
    core->materials = std::make_unique<ra::MaterialStore>(config.data_dir / "materials");
    return core;
}

Result<bool> EnsureDemoSubscriber(Context& ctx, PlatformCore& core) {
    {
        GZCA_ASSIGN_OR_RETURN(auto tx, ctx.db().Begin(false));
        GZCA_ASSIGN_OR_RETURN(auto any, tx->QueryOne("SELECT COUNT(*) FROM subscribers"));
        if (any && any->Int(0) > 0) return false;
    }
    // A CA set up by hand may lack the platform's issuer: then there is no demo to make.
    if (!ctx.ca().ResolveIssuer(ctx.config().platform.issuer)) return false;
    ra::Organisation org;
    org.name = "国资CA演示机构";
    org.legal_representative = "王五";
    org.credential_type = ra::CredentialType::kBusinessLicence;
    org.credential_number = "91350100M000100Y43";
    org.phone = "010-63191049";
    GZCA_ASSIGN_OR_RETURN(org, core.accounts->UpsertOrganisation(org));
    ra::Subscriber s;
    s.organisation_id = org.id;
    s.user_identifier = "demo-zhangsan";
    s.name = "张三";
    s.phone = kDemoPhone;
    s.id_card_number = "11010519491231002X";
    s.email = "zhangsan@example.com";
    s.department = "信息中心";
    s.contact_address = "北京市西城区宣武门西大街26号";
    GZCA_ASSIGN_OR_RETURN(s, core.accounts->CreateSubscriber(s));

    GZCA_ASSIGN_OR_RETURN(crypto::PrivateKey key,
                          crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kSm2));
    GZCA_ASSIGN_OR_RETURN(pki::DistinguishedName subject,
                          pki::ParseDistinguishedName("C=CN,O=国资CA演示机构,OU=信息中心,CN=张三"));
    GZCA_ASSIGN_OR_RETURN(Bytes csr, pki::BuildCsr(key, subject));
    ca::IssueRequest request;
    request.issuer = ctx.config().platform.issuer;
    request.csr = std::move(csr);
    request.profile = pki::Profile::kSubscriberSign;
    GZCA_ASSIGN_OR_RETURN(ca::IssuedCertificate issued, ctx.ca().Issue(request));
    GZCA_TRY_STATUS(core.accounts->LinkCertificate(s.id, issued.record.id, ra::Medium::kUsbKey));
    return true;
}

}  // namespace gzca::app
