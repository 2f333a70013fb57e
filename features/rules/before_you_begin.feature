# "Before you begin", the other way round: what happens when an item on the
# list does not hold. Each scenario is a release gate for the rule it is
# tagged with (@rule-…): against a build that breaks the rule, it turns red.
@rules
Feature: Before you begin: what happens when I have not made sure
  Make sure your old phone/tablet and the MitID app on it are updated. You
  can have up to three active MitID apps at the same time. Make sure that
  Bluetooth is enabled on both phones/tablets.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  # Assumption (the help page does not say): an app older than version 3.0.0
  # may not copy.
  @before-1 @rule-updated-app @doc-1 @doc-2 @doc-3
  Scenario: A MitID app that is not updated cannot start a copy and tells me to update it
    But the MitID app on my old phone is not updated: it is version 2.9.0
    When I open the MitID app on my old phone and open the menu at the top of the screen
    And I press "Activate"
    And I press "Copy your MitID to a new app"
    Then I see 'Update the MitID app'
    And I am told 'Your MitID app must be updated before you can copy it'
    When I press "OK"
    Then I see 'Your MitID app is active'

  @before-2 @rule-three-apps @doc-6
  Scenario: With three active MitID apps already, I cannot start copying to a fourth
    But I already have 2 more active MitID apps on other phones/tablets
    And I have followed steps 1 to 5
    When I check "Yes, I want to copy" and press "Start copying"
    Then I see 'You already have three active MitID apps'
    And I am told 'You can have up to three active MitID apps at the same time'
    When I press "OK"
    Then I see 'Your MitID app is active'
    And I do not see 'Copying to a new app'

  # With the app on my old phone and one elsewhere, the copy makes three: a
  # second copy is then one too many. The old app must still be active to try.
  @before-2 @rule-three-apps @rule-old-app-stays-active @doc-6
  Scenario: A copy adds one active MitID app: with two before it, a further copy is refused
    But I already have 1 more active MitID app on another phone/tablet
    When I follow steps 1 to 26
    Then my MitID app on my old phone is still active
    When I follow steps 1 to 5
    And I check "Yes, I want to copy" and press "Start copying"
    Then I see 'You already have three active MitID apps'
    And I am told 'You can have up to three active MitID apps at the same time'

  # "You can have up to three active MitID apps at the same time": at the
  # moment the new app becomes active, not only when the copy starts. An
  # app activated elsewhere during the hour's wait makes three.
  @before-2 @rule-three-apps-at-completion @rule-three-apps @doc-23
  Scenario: An app activated elsewhere while I wait makes three: the copy is refused when it would complete
    But I already have 1 more active MitID app on another phone/tablet
    And I have followed steps 1 to 7
    When another MitID app of mine is activated on another phone/tablet
    And I follow steps 8 to 23
    Then I see 'You already have three active MitID apps'
    And I am told 'You can have up to three active MitID apps at the same time'

  # Step 10 on my old phone, step 17 on my new phone.
  @before-3 @rule-bluetooth-on
  Scenario Outline: With Bluetooth turned off on my <phone> phone (<platform>), the copy stops and tells me to turn it on
    Given Bluetooth is turned off on my <phone> phone
    And I have followed steps 1 to <steps done>
    When I press "Next" on the screen 'Bluetooth access is required'
    Then I see 'Turn on Bluetooth'
    And I am told 'Make sure that Bluetooth is enabled on both phones/tablets'
    When Bluetooth is enabled on both phones
    And I press "Try again"
    Then I am asked to allow the MitID app to use Bluetooth

    @android-14
    Examples: Android phones
      | phone | platform | steps done |
      | old   | Android  | 9          |
      | new   | Android  | 16         |

    @ios
    Examples: iPhones
      | phone | platform | steps done |
      | old   | iPhone   | 9          |
      | new   | iPhone   | 16         |
