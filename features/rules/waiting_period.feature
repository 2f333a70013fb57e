# Steps 6-8: "As a security measure, you need to wait for 1 hour before you
# can copy your MitID app." Release gates for the waiting period and its
# notification (@rule-…).
@rules
Feature: The 1-hour waiting period
  The waiting period has started. You can close the MitID app while
  waiting. You'll receive a notification from the app when the waiting time
  is over. After 1 hour: open the MitID app and press Show QR code.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-waiting-period @doc-6 @doc-7 @doc-8
  Scenario: "Show QR code" is not offered 59 minutes and 59 seconds into the waiting period, and is when the hour is up
    Given I have followed steps 1 to 6
    Then the waiting period has started
    When 59 minutes and 59 seconds pass
    Then I see 'The waiting period has started'
    And I do not see 'Show QR code'
    When 1 second passes
    Then I see 'Show QR code and copy MitID to the new app'
    And I see 'Show QR code'

  @rule-waiting-period @doc-7 @doc-8
  Scenario: I can close the MitID app while waiting: it reopens with the time left, and after 1 hour on 'Show QR code'
    Given I have followed steps 1 to 6
    Then the waiting period has started
    When I press "OK" and close the MitID app while waiting
    And 30 minutes pass
    And I open the MitID app on my old phone
    Then I see 'Copying to a new app. Time left: 30:00'
    And I do not see 'Show QR code'
    When I close the MitID app
    And 30 minutes pass
    And I open the MitID app and press "Show QR code" on the screen 'Show QR code and copy MitID to the new app'
    Then I see 'Enter your PIN code'

  # A notification as early as the hour is up also means the wait was cut
  # short: a build that skips the wait fails this scenario too.
  @rule-waiting-notification @rule-waiting-period @doc-7
  Scenario: The notification that the waiting time is over comes when 1 hour has passed, not before
    Given I have followed steps 1 to 6
    When I press "OK" and close the MitID app while waiting
    And 59 minutes and 59 seconds pass
    Then I have not received a notification from the app that the waiting time is over
    When 1 second passes
    Then I receive a notification from the app that the waiting time is over
