// Properties-panel groups for message correlation, written exactly as the engine reads it
// (SpiffWorkflow's parsers behind engine/spiff): a catch event's messageEventDefinition carries
// <spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId/><spiffworkflow:expression/>
// (which case variable must equal the property), and the definitions carry
// <bpmn:correlationProperty id name> with one <bpmn:correlationPropertyRetrievalExpression messageRef>
// <bpmn:messagePath> per message (where the property sits in that message's payload). The message of
// an event itself is chosen or created in bpmn-js-properties-panel's own "Message" group.
import { createElement as h } from "@bpmn-io/properties-panel/preact";
import { ListGroup, SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import i18next from "../i18n.js";
import { processOf } from "./extensions.js";

const label = (key, options) => i18next.t(`designer.panel.${key}`, options);

function definitionsOf(bo) {
  let node = bo;
  while (node && !is(node, "bpmn:Definitions")) node = node.$parent;
  return node || null;
}

const rootsOf = (definitions, type) => (definitions ? definitions.get("rootElements").filter((r) => is(r, type)) : []);

export function messageDefinitionOf(element) {
  const bo = getBusinessObject(element);
  if (!is(bo, "bpmn:Event")) return null;
  return (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:MessageEventDefinition")) || null;
}

function correlationsOf(definition) {
  const ext = definition.get("extensionElements");
  return ext ? ext.get("values").filter((v) => v.$instanceOf("spiffworkflow:processVariableCorrelation")) : [];
}

// --- a catch event's correlations ------------------------------------------------------------------

function CorrelationProperty({ element, id, correlation }) {
  const modeling = useService("modeling");
  return h(SelectEntry, {
    element,
    id,
    label: label("correlationProperty"),
    getValue: () => correlation.get("propertyId") || "",
    setValue: (value) => modeling.updateModdleProperties(element, correlation, { propertyId: value || undefined }),
    getOptions: () => [
      { value: "", label: label("none") },
      ...rootsOf(definitionsOf(getBusinessObject(element)), "bpmn:CorrelationProperty").map((p) => ({
        value: p.id,
        label: p.name && p.name !== p.id ? `${p.name} (${p.id})` : p.id,
      })),
    ],
  });
}

function CorrelationExpression({ element, id, correlation }) {
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  return h(TextFieldEntry, {
    element,
    id,
    label: label("correlationExpression"),
    description: label("correlationExpressionHelp"),
    debounce,
    getValue: () => correlation.get("expression") || "",
    setValue: (value) => modeling.updateModdleProperties(element, correlation, { expression: value || undefined }),
  });
}

function catchCorrelationGroup(element, injector) {
  const definition = messageDefinitionOf(element);
  const moddle = injector.get("moddle");
  const modeling = injector.get("modeling");
  const items = correlationsOf(definition).map((correlation, index) => ({
    id: `wutong-correlation-${index}`,
    label: correlation.get("propertyId") || label("correlationUnnamed"),
    entries: [
      { id: `wutong-correlation-${index}-property`, component: CorrelationProperty, isEdited: isSelectEntryEdited, correlation },
      { id: `wutong-correlation-${index}-expression`, component: CorrelationExpression, isEdited: isTextFieldEntryEdited, correlation },
    ],
    autoFocusEntry: `wutong-correlation-${index}-property`,
    remove: () => {
      const ext = definition.get("extensionElements");
      modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter((v) => v !== correlation) });
    },
  }));
  const add = (event) => {
    event.stopPropagation();
    let ext = definition.get("extensionElements");
    if (!ext) {
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      ext.$parent = definition;
      modeling.updateModdleProperties(element, definition, { extensionElements: ext });
    }
    const correlation = moddle.create("spiffworkflow:processVariableCorrelation", {});
    correlation.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), correlation] });
  };
  return { id: "wutong-correlations", label: label("correlations"), component: ListGroup, items, add };
}

// --- the definitions' correlation properties -------------------------------------------------------

// Every catch event's processVariableCorrelation naming ``propertyId`` (processes and sub-processes).
function correlationsNaming(definitions, propertyId) {
  const found = [];
  const walk = (container) => {
    for (const node of container.get("flowElements") || []) {
      const definition = is(node, "bpmn:CatchEvent") ? messageDefinitionOf(node) : null;
      if (definition) found.push(...correlationsOf(definition).filter((c) => c.get("propertyId") === propertyId));
      if (is(node, "bpmn:SubProcess")) walk(node);
    }
  };
  rootsOf(definitions, "bpmn:Process").forEach(walk);
  return found;
}

function PropertyId({ element, id, property }) {
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  const definitions = definitionsOf(property);
  return h(TextFieldEntry, {
    element,
    id,
    label: label("correlationPropertyId"),
    debounce,
    getValue: () => property.id || "",
    validate: (value) => {
      if (!/^[A-Za-z_][\w.-]*$/.test(value || "")) return label("correlationPropertyIdInvalid");
      const taken = definitions && definitions.get("rootElements").some((r) => r !== property && r.id === value);
      return taken ? label("correlationPropertyIdTaken") : null;
    },
    // a rename carries the catch events' correlations that named the old id along
    setValue: (value) => {
      const before = property.id;
      modeling.updateModdleProperties(element, property, { id: value });
      for (const correlation of correlationsNaming(definitions, before)) {
        modeling.updateModdleProperties(element, correlation, { propertyId: value });
      }
    },
  });
}

function PropertyName({ element, id, property }) {
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  return h(TextFieldEntry, {
    element,
    id,
    label: label("correlationPropertyName"),
    debounce,
    getValue: () => property.name || "",
    setValue: (value) => modeling.updateModdleProperties(element, property, { name: value || undefined }),
  });
}

// Where ``property`` sits in ``message``'s payload; empty removes the retrieval expression.
function MessagePath({ element, id, property, message }) {
  const modeling = useService("modeling");
  const moddle = useService("moddle");
  const debounce = useService("debounceInput");
  const expressions = () => property.get("correlationPropertyRetrievalExpression");
  const find = () => expressions().find((e) => e.messageRef === message);
  return h(TextFieldEntry, {
    element,
    id,
    label: label("messagePath", { message: message.name || message.id }),
    debounce,
    getValue: () => {
      const found = find();
      return found && found.messagePath ? found.messagePath.body || "" : "";
    },
    setValue: (value) => {
      const text = (value || "").trim();
      const found = find();
      if (!text) {
        if (found) {
          modeling.updateModdleProperties(element, property, {
            correlationPropertyRetrievalExpression: expressions().filter((e) => e !== found),
          });
        }
        return;
      }
      const path = moddle.create("bpmn:FormalExpression", { body: text });
      if (found) {
        path.$parent = found;
        modeling.updateModdleProperties(element, found, { messagePath: path });
        return;
      }
      const created = moddle.create("bpmn:CorrelationPropertyRetrievalExpression", { messageRef: message, messagePath: path });
      created.$parent = property;
      path.$parent = created;
      modeling.updateModdleProperties(element, property, {
        correlationPropertyRetrievalExpression: [...expressions(), created],
      });
    },
  });
}

// Shown on a process (or its pool), the collaboration (the diagram's root) and a message event: every correlation property of the
// definitions with its id, name and a message path per message of the diagram.
function propertiesGroup(element, injector) {
  const definitions = definitionsOf(getBusinessObject(element));
  if (!definitions) return null;
  const moddle = injector.get("moddle");
  const modeling = injector.get("modeling");
  const messages = rootsOf(definitions, "bpmn:Message");
  const items = rootsOf(definitions, "bpmn:CorrelationProperty").map((property, index) => ({
    id: `wutong-correlation-property-${index}`,
    label: property.name && property.name !== property.id ? `${property.name} (${property.id})` : property.id,
    entries: [
      { id: `wutong-correlation-property-${index}-id`, component: PropertyId, isEdited: isTextFieldEntryEdited, property },
      { id: `wutong-correlation-property-${index}-name`, component: PropertyName, isEdited: isTextFieldEntryEdited, property },
      ...messages.map((message, m) => ({
        id: `wutong-correlation-property-${index}-path-${m}`,
        component: MessagePath,
        isEdited: isTextFieldEntryEdited,
        property,
        message,
      })),
    ],
    autoFocusEntry: `wutong-correlation-property-${index}-id`,
    remove: () => modeling.updateModdleProperties(element, definitions, {
      rootElements: definitions.get("rootElements").filter((r) => r !== property),
    }),
  }));
  const add = (event) => {
    event.stopPropagation();
    const taken = new Set(definitions.get("rootElements").map((r) => r.id));
    let n = 1;
    while (taken.has(`correlation_property_${n}`)) n += 1;
    const property = moddle.create("bpmn:CorrelationProperty", {
      id: `correlation_property_${n}`,
      name: `correlation_property_${n}`,
      correlationPropertyRetrievalExpression: [],
    });
    property.$parent = definitions;
    // after the messages and other correlation properties, before collaboration and processes
    const roots = definitions.get("rootElements");
    const at = roots.findLastIndex((r) => is(r, "bpmn:Message") || is(r, "bpmn:CorrelationProperty")) + 1;
    modeling.updateModdleProperties(element, definitions, {
      rootElements: [...roots.slice(0, at), property, ...roots.slice(at)],
    });
  };
  return {
    id: "wutong-correlation-properties",
    label: label("correlationProperties"),
    component: ListGroup,
    items,
    add,
  };
}

// The correlation groups for ``element`` (none for elements that have nothing to correlate).
export function correlationGroups(element, injector) {
  const groups = [];
  const definition = messageDefinitionOf(element);
  if (definition && is(getBusinessObject(element), "bpmn:CatchEvent")) groups.push(catchCorrelationGroup(element, injector));
  if (definition || processOf(element) || is(getBusinessObject(element), "bpmn:Collaboration")) {
    const group = propertiesGroup(element, injector);
    if (group) groups.push(group);
  }
  return groups;
}
