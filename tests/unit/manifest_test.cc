// Template manifests: the shipped ones load, and every kind of mistake is
// reported with file:line:column and the offending key.
#include <gtest/gtest.h>

#include "runtime/embedded_config.h"
#include "runtime/template_loader.h"

namespace casm::runtime {
namespace {

const char* valid_v01 = R"(version: 0.1
template:
  id: demo
  name: Demo
entrypoint:
  workflow: noop_v1
routing:
  budget:
    max_usd_per_run: 3.50
  strategy: cost_aware_quality_floor
  quality_floor:
    min_confidence: 0.70
  fallbacks:
    - on: timeout
      action: downgrade_model
)";

std::vector<codec::config_error> errors_of(const std::string& text) {
  messages::template_manifest m;
  std::vector<codec::config_error> errors;
  EXPECT_FALSE(parse_manifest("manifest.yaml", text, m, errors));
  return errors;
}

TEST(Manifest, ShippedTemplatesAllLoad) {
  auto ids = shipped_templates();
  ASSERT_FALSE(ids.empty());
  for (const auto& id : ids) {
    loaded_template t;
    std::vector<codec::config_error> errors;
    EXPECT_TRUE(load_template(id, t, errors)) << id << ": "
                                              << (errors.empty() ? "" : errors[0].to_string());
    EXPECT_EQ(t.manifest.id, id);
    EXPECT_EQ(t.hash.size(), 64u);
    EXPECT_FALSE(t.stages.empty());
  }
}

TEST(Manifest, ValidV01Parses) {
  messages::template_manifest m;
  std::vector<codec::config_error> errors;
  ASSERT_TRUE(parse_manifest("manifest.yaml", valid_v01, m, errors))
    << errors[0].to_string();
  EXPECT_EQ(m.id, "demo");
  EXPECT_DOUBLE_EQ(m.max_usd_per_run, 3.5);
  ASSERT_EQ(m.fallbacks.size(), 1u);
  EXPECT_EQ(m.fallbacks[0].action, "downgrade_model");
}

TEST(Manifest, UnknownKeyNamesKeyAndPosition) {
  auto errors = errors_of(std::string(valid_v01) + "  colour: blue\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "routing.colour");
  EXPECT_EQ(errors[0].line, 16);
  EXPECT_EQ(errors[0].column, 3);
  EXPECT_EQ(errors[0].to_string().rfind("manifest.yaml:16:3: unknown key 'routing.colour'", 0), 0u)
    << errors[0].to_string();
}

TEST(Manifest, WrongTypeIsReported) {
  std::string text = valid_v01;
  text.replace(text.find("3.50"), 4, "lots");
  auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "routing.budget.max_usd_per_run");
  EXPECT_EQ(errors[0].line, 9);
  EXPECT_EQ(errors[0].column, 22);
  EXPECT_NE(errors[0].message.find("must be a number"), std::string::npos);
}

TEST(Manifest, MissingRequiredFieldIsReported) {
  std::string text = valid_v01;
  text.erase(text.find("  name: Demo\n"), 13);
  auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "template.name");
  EXPECT_EQ(errors[0].line, 3);  // the mapping that lacks it
  EXPECT_NE(errors[0].message.find("missing required key 'template.name'"), std::string::npos);
}

TEST(Manifest, EnumerationAndRangeAreChecked) {
  std::string text = valid_v01;
  text.replace(text.find("0.70"), 4, "1.5");
  text.replace(text.find("downgrade_model"), 15, "panic");
  auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].key, "routing.quality_floor.min_confidence");
  EXPECT_NE(errors[0].message.find("outside [0, 1]"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[1].key, "routing.fallbacks[0].action");
  EXPECT_EQ(errors[1].line, 15);
}

TEST(Manifest, MalformedYamlGivesPosition) {
  auto errors = errors_of("version: 0.1\ntemplate:\n  id: [unclosed\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_GT(errors[0].line, 0);
  EXPECT_NE(errors[0].message.find("malformed YAML"), std::string::npos);
}

TEST(Manifest, V02KeysAreRejectedInV01AndAcceptedInV02) {
  std::string extra = "analyze:\n  max_file_bytes: 1000\n";
  auto errors = errors_of(std::string(valid_v01) + extra);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "analyze");
  std::string v02 = valid_v01;
  v02.replace(v02.find("0.1"), 3, "0.2");
  messages::template_manifest m;
  std::vector<codec::config_error> errs;
  ASSERT_TRUE(parse_manifest("manifest.yaml", v02 + extra, m, errs)) << errs[0].to_string();
  EXPECT_EQ(m.max_file_bytes, 1000);
}

TEST(Manifest, UnknownWorkflowAndUnsupportedHitlModeAreRefused) {
  std::string text = valid_v01;
  text.replace(text.find("noop_v1"), 7, "nope_v9");
  auto errors = errors_of(text);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "entrypoint.workflow");
  EXPECT_EQ(errors[0].line, 6);

  auto gh = errors_of(std::string(valid_v01) + "policy:\n  hitl:\n    mode: github_label\n");
  ASSERT_EQ(gh.size(), 1u);
  EXPECT_EQ(gh[0].key, "policy.hitl.mode");
  EXPECT_NE(gh[0].message.find("not supported yet"), std::string::npos);
}

TEST(Manifest, DuplicateKeyIsReported) {
  auto errors = errors_of(std::string(valid_v01) + "entrypoint:\n  workflow: noop_v1\n");
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message.find("duplicate key 'entrypoint'"), std::string::npos);
}

TEST(Manifest, UnknownTemplateIdIsOneSentence) {
  loaded_template t;
  std::vector<codec::config_error> errors;
  EXPECT_FALSE(load_template("does-not-exist", t, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string().rfind("unknown template 'does-not-exist'", 0), 0u);
}

}  // namespace
}  // namespace casm::runtime
