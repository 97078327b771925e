"""The pages' words in English and French: one catalogue (each key with both texts side by side, so a missing
translation shows in review), the language a request gets, and numbers and money as each language writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
NARROW_NBSP = "\u202f"  # French groups thousands and sets "%" and ":" apart with a narrow no-break space

# key -> (English, French). Placeholders are str.format fields and must be the same in both.
CATALOGUE: dict[str, tuple[str, str]] = {
    # --- frame ---
    "site.name": ("exposure-screen", "exposure-screen"),
    "site.tagline": (
        "How exposed a Canadian company is to U.S. ICE and DHS contracts, every number traced to its source",
        "L'exposition d'une entreprise canadienne aux contrats de l'ICE et du DHS américains, chaque chiffre relié "
        "à sa source",
    ),
    "nav.skip": ("Skip to the content", "Aller au contenu"),
    "nav.main": ("Main", "Principal"),
    "nav.check": ("Check a vendor", "Vérifier un fournisseur"),
    "nav.firms": ("Scored firms", "Entreprises évaluées"),
    "nav.api": ("API documentation", "Documentation de l'API"),
    "nav.language": ("Language", "Langue"),
    "lang.en": ("English", "English"),
    "lang.fr": ("Français", "Français"),
    "snapshot.line": (
        "Data snapshot {snapshot_id}: scores as of {as_of}, methodology {version}.",
        "Instantané des données {snapshot_id} : scores au {as_of}, méthodologie {version}.",
    ),
    "snapshot.none": ("No scored data snapshot is open.", "Aucun instantané de données évaluées n'est ouvert."),
    # --- the vendor check form ---
    "form.title": ("Check a vendor", "Vérifier un fournisseur"),
    "form.intro": (
        "Type the company's name, its Canadian Business Number or its U.S. Unique Entity ID (UEI). One is enough; "
        "when you give more than one, they must name the same company.",
        "Tapez le nom de l'entreprise, son numéro d'entreprise canadien (NE) ou son identifiant unique d'entité "
        "américain (UEI). Un seul suffit; si vous en donnez plusieurs, ils doivent désigner la même entreprise.",
    ),
    "form.name": ("Company name", "Nom de l'entreprise"),
    "form.name_hint": ("For example Roshel or CGI Inc.", "Par exemple Roshel ou CGI inc."),
    "form.bn": ("Business Number (BN)", "Numéro d'entreprise (NE)"),
    "form.bn_hint": (
        "9 digits, with or without a program account such as RC0001",
        "9 chiffres, avec ou sans compte de programme comme RC0001",
    ),
    "form.uei": ("Unique Entity ID (UEI)", "Identifiant unique d'entité (UEI)"),
    "form.uei_hint": ("12 letters and digits, from SAM.gov", "12 lettres et chiffres, de SAM.gov"),
    "form.policy": ("Policy", "Politique"),
    "form.policy_hint": (
        "When should a vendor be excluded? Without a choice, the service's default applies.",
        "Quand faut-il exclure un fournisseur? Sans choix, la politique par défaut du service s'applique.",
    ),
    "form.policy_default": (
        "Service default: exclude severe exposure, flag the rest",
        "Par défaut : exclure une exposition grave, signaler le reste",
    ),
    "form.policy.none": ("Exclude any exposure at all", "Exclure toute exposition"),
    "form.policy.low": ("Exclude above low exposure", "Exclure au-delà d'une exposition faible"),
    "form.policy.moderate": ("Exclude above moderate exposure", "Exclure au-delà d'une exposition modérée"),
    "form.policy.high": ("Exclude above high exposure (severe only)", "Exclure au-delà d'une exposition élevée"),
    "form.policy.severe": ("Never exclude; flag any exposure", "Ne jamais exclure; signaler toute exposition"),
    "form.submit": ("Check", "Vérifier"),
    "form.kept": (
        "Each check is kept under a record number, with a permanent page to print or share.",
        "Chaque vérification est conservée sous un numéro de dossier, avec une page permanente à imprimer ou à "
        "partager.",
    ),
    "form.error_title": ("The check could not run", "La vérification n'a pas pu se faire"),
    "form.error_empty": (
        "Type a name, a Business Number or a UEI.",
        "Tapez un nom, un numéro d'entreprise ou un UEI.",
    ),
    "form.error_field": ("{field}: {detail}", "{field} : {detail}"),
    # --- a check's record ---
    "check.title": ("Vendor check: {name}", "Vérification du fournisseur : {name}"),
    "check.asked": ("You asked about:", "Votre demande :"),
    "quoted": ("“{text}”", "« {text} »"),
    "check.record": ("Record {record_id}", "Dossier {record_id}"),
    "check.made": ("Made {created_at} (UTC)", "Établi le {created_at} (UTC)"),
    "check.permalink": ("Permanent link to this record:", "Lien permanent vers ce dossier :"),
    "check.print": ("Print this record", "Imprimer ce dossier"),
    "check.another": ("Check another vendor", "Vérifier un autre fournisseur"),
    "check.as_data": (
        "The same record as data, for auditors with a screening key:",
        "Le même dossier en données, pour les vérificateurs munis d'une clé de filtrage :",
    ),
    # --- verdicts ---
    "verdict.heading": ("Verdict:", "Verdict :"),
    "verdict.exclude": ("Exclude", "Exclure"),
    "verdict.flag": ("Flag", "Signaler"),
    "verdict.review": ("Review", "À examiner"),
    "verdict.pass": ("Pass", "Aucune exposition trouvée"),
    "verdict.not_covered": ("Not covered", "Non couvert"),
    "verdict.error": ("Could not be read", "Illisible"),
    "verdict.exclude.explain": (
        "Exposure above the policy. Under this policy, this vendor should be excluded.",
        "Exposition au-delà de la politique. Selon cette politique, ce fournisseur devrait être exclu.",
    ),
    "verdict.flag.explain": (
        "Exposure was found, within the policy. Read the evidence below before you decide.",
        "Une exposition a été trouvée, dans les limites de la politique. Lisez les preuves ci-dessous avant de "
        "décider.",
    ),
    "verdict.pass.explain": (
        "A known company, checked against the loaded U.S. contract records and the curated evidence: no ICE or "
        "DHS exposure was found. This rests only on what was checked (see below).",
        "Une entreprise connue, vérifiée dans les contrats américains chargés et les preuves recueillies : aucune "
        "exposition à l'ICE ou au DHS n'a été trouvée. Ce résultat ne vaut que pour ce qui a été vérifié (voir "
        "plus bas).",
    ),
    "verdict.not_covered.explain": (
        "Nothing in the registry of Canadian firms or in the list of Canadian listed issuers matched what you "
        "typed. This is not a pass: the vendor was not checked.",
        "Rien dans le registre des entreprises canadiennes ni dans la liste des émetteurs inscrits au Canada ne "
        "correspond à votre demande. Ce n'est pas un résultat favorable : le fournisseur n'a pas été vérifié.",
    ),
    "verdict.review.explain": (
        "The check could not decide on its own; a person must look.",
        "La vérification n'a pas pu trancher seule; une personne doit examiner le dossier.",
    ),
    "review.near": (
        "There is no sure match: the names that resemble it are listed below.",
        "Aucune correspondance sûre : les noms qui y ressemblent sont indiqués plus bas.",
    ),
    "review.conflict": (
        "What you gave names different companies (a name and an identifier that disagree, or a name shared by "
        "several issuers).",
        "Vos renseignements désignent des entreprises différentes (un nom et un identifiant qui ne concordent pas, "
        "ou un nom porté par plusieurs émetteurs).",
    ),
    "review.unconfirmed": (
        "Loaded contract records carry this issuer's exact name, but nothing yet ties them to it: an analyst must "
        "confirm or reject them.",
        "Des contrats chargés portent exactement le nom de cet émetteur, mais rien ne les y rattache encore : un "
        "analyste doit les confirmer ou les rejeter.",
    ),
    "review.unscored": (
        "It matched a firm of the registry that rolls up to no scored Canadian parent.",
        "Elle correspond à une entreprise du registre qui ne remonte à aucune société mère canadienne évaluée.",
    ),
    "verdict.detail": ("As the screening put it:", "Selon le filtrage :"),
    "verdict.exposure": (
        "Exposure tier: {tier} (score {score} out of 100).",
        "Niveau d'exposition : {tier} (score de {score} sur 100).",
    ),
    # --- tiers and the policy ---
    "tier.none": ("none", "aucune"),
    "tier.low": ("low", "faible"),
    "tier.moderate": ("moderate", "modérée"),
    "tier.high": ("high", "élevée"),
    "tier.severe": ("severe", "grave"),
    "policy.default": (
        "Policy used: the service's default, because none was chosen. It excludes a firm with {amount} or more "
        "of weighted exposure (tier {tier}) and flags any smaller exposure.",
        "Politique appliquée : celle du service par défaut, faute de choix. Elle exclut une entreprise dont "
        "l'exposition pondérée atteint {amount} ou plus (niveau {tier}) et signale toute exposition moindre.",
    ),
    "policy.chosen": (
        "Policy you chose: exclude a firm with {amount} or more of weighted exposure (tier {tier} and above); "
        "flag any smaller exposure.",
        "Politique choisie : exclure une entreprise dont l'exposition pondérée atteint {amount} ou plus (niveau "
        "{tier} et au-delà); signaler toute exposition moindre.",
    ),
    "policy.chosen.none": (
        "Policy you chose: exclude a firm with any exposure at all.",
        "Politique choisie : exclure toute entreprise exposée, si peu que ce soit.",
    ),
    "policy.chosen.severe": (
        "Policy you chose: never exclude; flag any exposure.",
        "Politique choisie : ne jamais exclure; signaler toute exposition.",
    ),
    "policy.weighted": (
        "Weighted exposure: each contract's dollars weighed by what was sold, which agency bought it, how recent "
        "it is and how sure the link is.",
        "Exposition pondérée : les dollars de chaque contrat pondérés selon ce qui a été vendu, l'organisme "
        "acheteur, l'ancienneté et la solidité du lien.",
    ),
    "policy.methodology": ("The methodology, weight by weight", "La méthodologie, poids par poids"),
    # --- the firm and how it was recognised ---
    "firm.heading": ("The company", "L'entreprise"),
    "firm.recognised.identifier": ("Recognised by its {scheme}: {value}.", "Reconnue par son {scheme} : {value}."),
    "firm.recognised.name": (
        "Recognised by its name, “{value}”: {how} ({confidence} sure).",
        "Reconnue par son nom, « {value} » : {how} (certitude de {confidence}).",
    ),
    "firm.via": (
        "The records matched {via}, which belongs to the Canadian parent {parent}.",
        "Les dossiers correspondent à {via}, qui appartient à la société mère canadienne {parent}.",
    ),
    "firm.profile": ("Full profile of {name}", "Profil complet de {name}"),
    "firm.issuer": ("A Canadian listed issuer.", "Un émetteur inscrit en bourse au Canada."),
    "how.alias": ("the same name once spelling and legal forms are set aside", "le même nom, forme juridique à part"),
    "how.fuzzy": ("a near-identical spelling", "une graphie presque identique"),
    "how.override": ("an analyst's recorded decision", "la décision consignée d'un analyste"),
    "how.other": ("a match by name", "une correspondance de nom"),
    "scheme.name": ("name", "nom"),
    "scheme.bn": ("Business Number", "numéro d'entreprise"),
    "scheme.uei": ("Unique Entity ID (UEI)", "identifiant unique d'entité (UEI)"),
    "scheme.duns": ("DUNS number", "numéro DUNS"),
    "scheme.cage": ("CAGE code", "code CAGE"),
    "scheme.isin": ("ISIN", "ISIN"),
    "scheme.lei": ("LEI", "LEI"),
    "scheme.cusip": ("CUSIP", "CUSIP"),
    "scheme.ticker": ("ticker", "symbole boursier"),
    "scheme.sec_cik": ("SEC CIK", "CIK de la SEC"),
    # --- exposure ---
    "exposure.heading": ("Exposure to ICE, CBP and the rest of DHS", "Exposition à l'ICE, au CBP et au reste du DHS"),
    "exposure.totals": (
        "U.S. dollars obligated to the company (its share): {total} in all; ICE {ice}, CBP {cbp}, other DHS {other}.",
        "Dollars américains engagés envers l'entreprise (sa part) : {total} au total; ICE {ice}, CBP {cbp}, "
        "autres composantes du DHS {other}.",
    ),
    "exposure.none": (
        "No ICE or DHS contract record and no documented deal is tied to this company.",
        "Aucun contrat de l'ICE ou du DHS ni aucune entente documentée n'est rattaché à cette entreprise.",
    ),
    "exposure.by_agency": ("By agency", "Par organisme"),
    "exposure.by_category": ("By what was sold", "Selon ce qui a été vendu"),
    "exposure.by_subsidiary": ("By subsidiary", "Par filiale"),
    "col.agency": ("Agency", "Organisme"),
    "col.category": ("What was sold", "Ce qui a été vendu"),
    "col.subsidiary": ("Company", "Société"),
    "col.dollars": ("U.S. dollars (the company's share)", "Dollars américains (part de l'entreprise)"),
    "col.records": ("Records", "Dossiers"),
    "col.firm": ("Company", "Entreprise"),
    "col.province": ("Province", "Province"),
    "col.score": ("Score (0–100)", "Score (0 à 100)"),
    "col.tier": ("Tier", "Niveau"),
    "col.ice": ("ICE dollars", "Dollars ICE"),
    "col.cbp": ("CBP dollars", "Dollars CBP"),
    "col.other": ("Other DHS dollars", "Dollars autres DHS"),
    "col.scheme": ("Identifier", "Identifiant"),
    "col.value": ("Value", "Valeur"),
    "col.source": ("Source", "Source"),
    "col.name": ("Name", "Nom"),
    "col.relation": ("Relation", "Lien"),
    "col.share": ("Share owned", "Part détenue"),
    "col.date": ("Date", "Date"),
    "col.amount": ("U.S. dollars", "Dollars américains"),
    "col.vendor": ("Vendor named in the record", "Fournisseur nommé au dossier"),
    "col.record": ("Record", "Dossier"),
    # --- evidence ---
    "evidence.heading": ("Strongest evidence", "Preuves les plus solides"),
    "evidence.documents": ("Documents", "Documents"),
    "evidence.contracts": ("Largest contract records", "Principaux contrats"),
    "evidence.none": ("No document names this company.", "Aucun document ne nomme cette entreprise."),
    "evidence.no_contracts": ("No contract record is tied to this company.", "Aucun contrat n'est rattaché."),
    "evidence.meta": ("{publisher}, {date}", "{publisher}, {date}"),
    "evidence.undated": ("{publisher}, undated", "{publisher}, sans date"),
    "evidence.facts": (
        "{kind}, {status}, {channel}; agency: {agency}; confidence: {confidence}",
        "{kind}, {status}, {channel}; organisme : {agency}; confiance : {confidence}",
    ),
    "kind.contract": ("contract", "contrat"),
    "kind.software": ("software", "logiciel"),
    "kind.property": ("real property", "bien immobilier"),
    "channel.direct": ("sold directly", "vente directe"),
    "channel.reseller": ("through a reseller", "par un revendeur"),
    "channel.joint_venture": ("through a joint venture", "par une coentreprise"),
    "evidence.source": ("Read the source", "Lire la source"),
    "evidence.response": ("The company's response", "Réponse de l'entreprise"),
    "evidence.no_response": (
        "No response from the company is recorded.",
        "Aucune réponse de l'entreprise n'est consignée.",
    ),
    "evidence.award": ("Award on USAspending.gov", "Contrat sur USAspending.gov"),
    "status.active": ("active", "en cours"),
    "status.completed": ("completed", "terminé"),
    "status.reported": ("reported", "signalé"),
    "status.intended": ("intended", "envisagé"),
    "status.cancelled": ("cancelled", "annulé"),
    "confidence.high": ("high", "élevée"),
    "confidence.medium": ("medium", "moyenne"),
    "confidence.low": ("low", "faible"),
    "agency.unknown": ("not stated", "non précisé"),
    # --- coverage ---
    "coverage.heading": ("What was checked, and what was not", "Ce qui a été vérifié, et ce qui ne l'a pas été"),
    "coverage.firm": (
        "Checked: {name}, its {subsidiaries} known subsidiaries and the {aliases} names they go by, with their "
        "identifiers, against the loaded records.",
        "Vérifié : {name}, ses {subsidiaries} filiales connues et les {aliases} noms qu'elles portent, avec leurs "
        "identifiants, dans les dossiers chargés.",
    ),
    "coverage.issuer": (
        "Checked: the listed issuer {name}, by its name, against the vendors named in the loaded records. No "
        "subsidiary is on file for it.",
        "Vérifié : l'émetteur inscrit {name}, par son nom, parmi les fournisseurs nommés dans les dossiers chargés. "
        "Aucune filiale n'est répertoriée pour lui.",
    ),
    "coverage.nothing": (
        "Nothing was checked: no company was recognised.",
        "Rien n'a été vérifié : aucune entreprise n'a été reconnue.",
    ),
    "coverage.records": (
        "Loaded records: U.S. federal contract records from {first} to {last}, bought by {agencies}.",
        "Dossiers chargés : contrats fédéraux américains du {first} au {last}, passés par {agencies}.",
    ),
    "coverage.not_checked": ("Not checked:", "Non vérifié :"),
    "coverage.gap.later": (
        "records after {last}, and contracts of other DHS agencies than those above",
        "les dossiers postérieurs au {last}, et les contrats d'autres organismes du DHS que ceux ci-dessus",
    ),
    "coverage.gap.names": (
        "subsidiaries, former names and trade names the registry does not hold",
        "les filiales, anciens noms et noms commerciaux absents du registre",
    ),
    "coverage.gap.indirect": (
        "sales through resellers or subcontracts that were not reported to USAspending and are not in the curated "
        "evidence",
        "les ventes par revendeurs ou sous-contrats non déclarés à USAspending et absents des preuves recueillies",
    ),
    "coverage.gap.buyers": (
        "customers other than the U.S. Department of Homeland Security",
        "les clients autres que le département de la Sécurité intérieure des États-Unis",
    ),
    "coverage.tried": ("What the screening tried", "Ce que le filtrage a essayé"),
    "candidates.heading": ("Names that resemble it", "Noms qui y ressemblent"),
    "candidates.line": ("{name}: {confidence} similar", "{name} : ressemblance de {confidence}"),
    # --- the firms list ---
    "firms.title": ("Scored firms", "Entreprises évaluées"),
    "firms.intro": (
        "Canadian companies and their exposure to ICE, CBP and the rest of DHS. {count} match.",
        "Entreprises canadiennes et leur exposition à l'ICE, au CBP et au reste du DHS. {count} correspondent.",
    ),
    "firms.filters": ("Filter the list", "Filtrer la liste"),
    "firms.q": ("Name, other name or firm id", "Nom, autre nom ou identifiant"),
    "firms.tier": ("Tier", "Niveau"),
    "firms.any_tier": ("Any tier", "Tous les niveaux"),
    "firms.sort": ("Order", "Ordre"),
    "sort.-score": ("Highest score first", "Score le plus élevé d'abord"),
    "sort.score": ("Lowest score first", "Score le plus bas d'abord"),
    "sort.name": ("By name", "Par nom"),
    "sort.-obligated": ("Most U.S. dollars first", "Le plus de dollars américains d'abord"),
    "sort.-ice": ("Most ICE dollars first", "Le plus de dollars ICE d'abord"),
    "sort.-cbp": ("Most CBP dollars first", "Le plus de dollars CBP d'abord"),
    "firms.apply": ("Show", "Afficher"),
    "firms.caption": ("Scored firms — {sort}", "Entreprises évaluées — {sort}"),
    "firms.none": ("No company matches.", "Aucune entreprise ne correspond."),
    "firms.next": ("Next page", "Page suivante"),
    "firms.first": ("First page", "Première page"),
    "firms.export": ("The whole filtered list as CSV", "Toute la liste filtrée en CSV"),
    # --- one firm ---
    "profile.score": ("Score {score} out of 100, tier {tier}.", "Score de {score} sur 100, niveau {tier}."),
    "profile.not_scored": (
        "This company has no score in this snapshot.",
        "Cette entreprise n'a pas de score dans cet instantané.",
    ),
    "profile.revenue": (
        "Share of revenue from these contracts: {band} % ({basis}).",
        "Part du chiffre d'affaires tirée de ces contrats : {band} % ({basis}).",
    ),
    "profile.registry_source": ("Registry entry's source", "Source de l'entrée au registre"),
    "profile.discovered": (
        "Found in the contract records as located in Canada; not in the registry.",
        "Trouvée dans les contrats comme située au Canada; absente du registre.",
    ),
    "profile.identifiers": ("Identifiers", "Identifiants"),
    "profile.aliases": ("Other names", "Autres noms"),
    "profile.subsidiaries": ("Subsidiaries", "Filiales"),
    "research.heading": ("U.S. subsidiaries researched", "Recherche des filiales américaines"),
    "research.subsidiaries_added": (
        "Its U.S. subsidiaries were researched; those a primary source names and dates are on file and checked.",
        "Ses filiales américaines ont été recherchées ; celles qu'une source primaire nomme et date sont au dossier "
        "et sont vérifiées.",
    ),
    "research.checked_no_us_subsidiary_found": (
        "Its U.S. subsidiaries were researched and none was found.",
        "Ses filiales américaines ont été recherchées et aucune n'a été trouvée.",
    ),
    "research.left_out_no_primary_source": (
        "A U.S. subsidiary is known but not on file: no primary source names and dates it, so its contracts are not "
        "counted here.",
        "Une filiale américaine est connue mais n'est pas au dossier : aucune source primaire ne la nomme ni ne la "
        "date, ses contrats ne sont donc pas comptés ici.",
    ),
    "research.searched_not_settled": (
        "Its U.S. subsidiaries were searched for, without a result either way.",
        "Ses filiales américaines ont été cherchées, sans résultat dans un sens ou dans l'autre.",
    ),
    "research.not_researched": (
        "Its U.S. subsidiaries have not been researched.",
        "Ses filiales américaines n'ont pas été recherchées.",
    ),
    "profile.contributions": (
        "Contract records and documented deals, largest first ({shown} of {total})",
        "Contrats et ententes documentées, les plus importants d'abord ({shown} sur {total})",
    ),
    "profile.evidence": ("Evidence", "Preuves"),
    # --- export controls and Ottawa's own contracts ---
    "ecl.heading": (
        "Goods on Canada's Export Control List",
        "Marchandises de la Liste des marchandises d'exportation contrôlée",
    ),
    "ecl.indicative": (
        "Indicative: the goods' description suggests the item; a permit decision rests on the exact specification.",
        "Indicatif : la description des marchandises évoque l'article; une décision de licence dépend de la "
        "spécification exacte.",
    ),
    "ecl.origin.yes": ("reported made in Canada", "fabriquées au Canada selon les documents"),
    "ecl.origin.no": ("reported made elsewhere", "fabriquées ailleurs selon les documents"),
    "ecl.origin.unknown": ("not reported", "non précisé"),
    "col.ecl_item": ("ECL item (Wassenaar)", "Article LMEC (Wassenaar)"),
    "col.ecl_label": ("What the item covers", "Ce que couvre l'article"),
    "col.dates": ("First and last record", "Premier et dernier dossier"),
    "col.made_in_canada": ("Where made", "Lieu de fabrication"),
    "ottawa.heading": ("Government of Canada contracts", "Contrats du gouvernement du Canada"),
    "ottawa.note": (
        "Canadian dollars, per fiscal year (April to March), as GoC-Spending totals the Proactive Disclosure of "
        "Contracts; never added to the U.S. dollars above.",
        "Dollars canadiens, par exercice (avril à mars), selon les totaux de GoC-Spending tirés de la divulgation "
        "proactive des contrats; jamais ajoutés aux dollars américains ci-dessus.",
    ),
    "ottawa.line": ("line {line}", "ligne {line}"),
    "ottawa.unconfirmed": (
        "GoC-Spending's totals also group these spellings, which the registry does not confirm as this "
        "company: {names}",
        "Les totaux de GoC-Spending regroupent aussi ces graphies, que le registre ne confirme pas pour cette "
        "entreprise : {names}",
    ),
    "col.fiscal_year": ("Fiscal year", "Exercice"),
    "col.cad": ("Canadian dollars", "Dollars canadiens"),
    "col.vendor_goc": ("Vendor as Ottawa spells it", "Fournisseur tel qu'Ottawa l'écrit"),
    "profile.overrides": ("Analysts' decisions", "Décisions des analystes"),
    "profile.override": (
        "{decision} “{value}” ({scheme}), by {by} on {at}: {reason}",
        "{decision} « {value} » ({scheme}), par {by} le {at} : {reason}",
    ),
    "override.is": ("Counted as this company:", "Compté comme cette entreprise :"),
    "override.is_not": ("Not this company:", "Pas cette entreprise :"),
    "profile.check": ("Check this company as a vendor", "Vérifier cette entreprise comme fournisseur"),
    "profile.as_data": ("This profile as data", "Ce profil en données"),
    # --- errors ---
    "error.404": ("Not found", "Introuvable"),
    "error.422": ("The request could not be read", "La demande n'a pas pu être lue"),
    # a page cursor of another list, or of data since refreshed (service.pagination)
    "error.409": ("This page belongs to another list", "Cette page appartient à une autre liste"),
    "error.410": ("The data has been refreshed since", "Les données ont été actualisées depuis"),
    "error.other": ("The page could not be shown", "La page n'a pas pu être affichée"),
    "error.firm": (
        "No company with the id “{firm_id}”. The list of scored firms has every id.",
        "Aucune entreprise ne porte l'identifiant « {firm_id} ». La liste des entreprises évaluées les donne tous.",
    ),
    "error.record": (
        "No vendor check record has the number “{record_id}”.",
        "Aucun dossier de vérification ne porte le numéro « {record_id} ».",
    ),
    "error.back": ("Back to the vendor check", "Retour à la vérification"),
}


# Category labels in French; English comes from the methodology's own table (scoring/methodology/categories.csv).
CATEGORY_FR: dict[str, str] = {
    "detention": "Détention et garde",
    "removal_transport": "Transport de renvoi et d'expulsion",
    "weapons": "Armes et munitions",
    "armoured_vehicles": "Véhicules blindés et tactiques",
    "surveillance": "Surveillance, biométrie et données d'enquête",
    "security_equipment": "Matériel de sécurité et de police autre que les armes",
    "it_software": "Informatique, logiciels et télécommunications",
    "construction_facilities": "Construction, installations et biens immobiliers",
    "professional_services": "Services professionnels, de gestion, d'ingénierie et de formation",
    "medical": "Services médicaux et de santé",
    "vehicles_transport_other": "Véhicules non blindés, carburant et logistique",
    "general_supplies": "Fournitures et biens généraux",
    "clothing": "Vêtements et textiles",
    "other": "Autre / non classé ailleurs",
}


def choose_language(requested: str | None, accept_language: str | None) -> Language:
    """`?lang=` when it names a language we have; else the best of Accept-Language; else English."""
    if requested:
        wanted = requested.strip().lower()[:2]
        for language in LANGUAGES:
            if wanted == language:
                return language
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        for language in LANGUAGES:
            if primary == language and quality > 0:
                ranked.append((quality, -position, language))
    return max(ranked)[2] if ranked else DEFAULT_LANGUAGE


class Messages:
    """The catalogue in one language, callable from templates: `t("check.title", name=...)`."""

    def __init__(self, language: Language, category_labels: Mapping[str, str]) -> None:
        self.language = language
        self._column = LANGUAGES.index(language)
        self._category_labels = category_labels

    def __call__(self, key: str, **values: object) -> str:
        text = CATALOGUE[key][self._column]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in CATALOGUE

    def maybe(self, prefix: str, value: str | None, fallback: str = "") -> str:
        """The label of a stored value (a status, a tier, a scheme), or the value itself when none is written."""
        if value is None:
            return fallback
        key = f"{prefix}.{value}"
        return self(key) if key in CATALOGUE else value

    def category(self, category: str | None) -> str:
        if category is None:
            return self("agency.unknown")
        if self.language == "fr" and category in CATEGORY_FR:
            return CATEGORY_FR[category]
        return self._category_labels.get(category, category)

    def number(self, value: float, decimals: int = 0) -> str:
        text = f"{value:,.{decimals}f}"
        if self.language == "fr":
            return text.replace(",", NARROW_NBSP).replace(".", ",")
        return text

    def money(self, amount: float | None) -> str:
        """U.S. dollars, whole: US$7,234,926 or 7 234 926 $ US."""
        value = self.number(round(amount or 0.0))
        return f"{value}\u00a0$\u00a0US" if self.language == "fr" else f"US${value}"

    def money_cad(self, amount: float | None) -> str:
        """Canadian dollars, whole: CA$61,575,183 or 61 575 183 $ CA."""
        value = self.number(round(amount or 0.0))
        return f"{value}\u00a0$\u00a0CA" if self.language == "fr" else f"CA${value}"

    def money_round(self, amount: float) -> str:
        """A threshold in words, three significant figures: US$31,600, US$1 million, 100 millions $ US."""
        rounded = float(f"{amount:.3g}")
        if rounded >= 1_000_000:
            millions = self.number(rounded / 1_000_000, 0 if rounded % 1_000_000 == 0 else 1)
            if self.language == "fr":
                unit = "million" if rounded < 2_000_000 else "millions"
                return f"{millions}\u00a0{unit}\u00a0$\u00a0US"
            return f"US${millions} million"
        return self.money(rounded)

    def percent(self, fraction: float) -> str:
        value = self.number(fraction * 100)
        return f"{value}{NARROW_NBSP}%" if self.language == "fr" else f"{value}%"
